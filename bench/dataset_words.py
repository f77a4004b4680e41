"""Words and hashed choices of the issue-10 data set (bench/dataset.py): the vocabulary of client, stakeholder and
deal rows, and the SQL expressions that pick from them deterministically (``hashint8extended``), kept apart so the
loader reads as its steps."""

from __future__ import annotations


# u(i, salt): a deterministic pseudo-random number in [0, 1) for series index i.
def _u(expr: str, salt: int) -> str:
    return f"((hashint8extended(({expr})::bigint, {salt}) & 2147483647)::float8 / 2147483648.0)"


def _pick(array_sql: str, expr: str, salt: int) -> str:
    """One element of a SQL text array literal, chosen by hash."""
    return f"({array_sql})[1 + floor({_u(expr, salt)} * cardinality({array_sql}))::int]"


def _arr(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


# Words of client names: distinctive stems (never a common word or a legal form: name_key is their start),
# syllables for a second, rarer word, common words that the duplicate check skips, legal forms it drops.
STEMS = ["Carpatica", "Dunarea", "Bistrita", "Somesana", "Oltenia", "Argesana", "Muresul", "Banatul",
         "Crisana", "Bucovina", "Dobrogea", "Moldova", "Ardeleana", "Valahia", "Maramures", "Hargita",
         "Ceahlau", "Bucegi", "Retezat", "Fagaras", "Paltinis", "Semenic", "Rarau", "Cozia", "Sinaia",
         "Brasoveana", "Clujana", "Timisana", "Ieseana", "Sibiana", "Vranceana", "Gorjana", "Prahova",
         "Siretul", "Prutul", "Tarnava", "Ialomita", "Buzoiana", "Deltana", "Pontica", "Histria", "Tomis",
         "Napoca", "Apulum", "Potaissa", "Drobeta", "Sucidava", "Romula", "Callatis", "Porolissum",
         "Electro", "Hidro", "Termo", "Chimica", "Lemnaria", "Sticla", "Ceramica", "Otelaria", "Hartia",
         "Lactate", "Cereale", "Viticola", "Mecanica", "Optica", "Polimer", "Beton", "Cablu", "Rulmenti"]
SYLLABLES = ["ra", "mo", "te", "lu", "vi", "sa", "co", "ne", "di", "ba", "ro", "ma", "li", "pe", "tu", "ca",
             "no", "ve", "si", "da", "ga", "fe", "zo", "ri"]
COMMON = ["Impex", "Trading", "Grup", "Construct", "Prod", "Serv", "Com", "Distributie", "Industrial", "Tehnic"]
FORMS = ["SRL", "SRL", "SRL", "SA", "SA", "SCS", "SNC"]
INDUSTRIES = ["Metalworking", "Food processing", "Construction", "Automotive parts", "Pharmaceuticals",
              "Electronics", "Logistics", "Textiles", "Chemicals", "Paper", "Ceramics", "Energy", "Dairy",
              "Furniture", "Plastics", "Agriculture", "Mining", "Water utilities"]
FIRST = ["Andrei", "Maria", "Ioana", "Mihai", "Elena", "Alexandru", "Ana", "Cristian", "Gabriela", "Florin",
         "Daniela", "Radu", "Simona", "Vlad", "Roxana", "Bogdan", "Alina", "Sorin", "Irina", "Dan", "Laura",
         "Stefan", "Monica", "Adrian", "Carmen", "Ion", "Raluca", "Marius", "Oana", "George"]
LAST = ["Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei", "Ciobanu", "Rusu",
        "Constantin", "Marin", "Mihai", "Serban", "Dinu", "Lazar", "Toma", "Nistor", "Florea", "Barbu",
        "Munteanu", "Moldovan", "Cristea", "Diaconu", "Tudor", "Neagu", "Preda", "Voicu", "Enache", "Radu"]
LEVELS = ["board", "executive", "vp", "director", "director", "middle_manager", "middle_manager",
          "middle_manager", "junior", "end_user"]
TITLES = {"board": "Board member", "executive": "General manager", "vp": "Vice-president operations",
          "director": "Technical director", "middle_manager": "Procurement manager", "junior": "Buyer",
          "end_user": "Maintenance engineer"}
ROLES = ["decision_maker", "economic_buyer", "influencer", "technical_evaluator", "user", "gatekeeper",
         "champion", "opponent"]
# Opportunity stages with their weights (cumulative shares below) and the next steps of open deals.
STAGES = [("discussion", 0.25), ("consultation", 0.15), ("product_testing", 0.10), ("proposal", 0.12),
          ("negotiation", 0.08), ("won", 0.18), ("lost", 0.12)]
NEXT_STEPS = ["Send the revised offer", "Visit the plant with the technical director", "Schedule a product test",
              "Call the procurement manager", "Present the service contract", "Agree the test criteria"]
LOST_REASONS = ["Price above the competitor's offer", "Project postponed by the client",
                "Competitor already qualified", "Budget cut", "No decision"]
LOST_REASON_CODES = ["price", "timing", "competitor", "budget", "other"]  # deals.choices.LostReason, by the text


def _stage_case(u: str) -> str:
    parts, acc = [], 0.0
    for stage, weight in STAGES[:-1]:
        acc += weight
        parts.append(f"WHEN {u} < {acc:.4f} THEN '{stage}'")
    return "CASE " + " ".join(parts) + f" ELSE '{STAGES[-1][0]}' END"
