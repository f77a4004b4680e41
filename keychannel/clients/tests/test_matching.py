import pytest

from keychannel.clients.matching import name_keys, normalize_company_name, normalize_tax_id


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("S.C. Ştefan & Fiii S.R.L.", "stefan fiii"),
        ("SC ȘTEFAN ȘI FIII SRL", "stefan si fiii"),
        ("Țară Nouă S.A.", "tara noua"),
        ("Ţară Nouă SA", "tara noua"),
        ("Brânzeturi Îmbunătățite s.r.l", "branzeturi imbunatatite"),
        ("Alpha-Construct S. R. L.", "alpha construct"),
        ("Alpha Construct SCS", "alpha construct"),
        ("Alpha Construct S.N.C.", "alpha construct"),
        ("Siemens GmbH", "siemens"),
        ('OOO "Gazprom"', "gazprom"),
        ("Acme LLC", "acme"),
        ("Acme Ltd.", "acme"),
        ("S.R.L.", "srl"),
        ("", ""),
    ],
)
def test_normalize_company_name(raw, normalized):
    assert normalize_company_name(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("RO12345678", "12345678"), ("ro 123 456 78", "12345678"), ("12-345-678", "12345678"), ("", ""), ("RO", "")],
)
def test_normalize_tax_id(raw, normalized):
    assert normalize_tax_id(raw) == normalized


def test_name_keys_survive_a_typo_in_one_word():
    assert name_keys("alpha betatron")[1] == name_keys("alpah betatron")[1] == "beta"
    assert name_keys("alpha betatron")[0] == name_keys("alpha betatorn")[0] == "alph"
    assert name_keys("") == ("", "")


def test_name_keys_skip_common_words():
    assert name_keys("construct impex alpha") == ("alph", "")
    assert name_keys("grup construct") == ("grup", "cons")
