"""Apps register the models of their long jobs (``LeasedJob`` subclasses) so the jobs page lists them."""

_job_models: list = []


def register_job_model(model) -> None:
    if model not in _job_models:
        _job_models.append(model)


def job_models() -> list:
    return list(_job_models)
