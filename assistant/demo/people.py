"""Customers of the demo shop: names, contact details, where they live, how they came.

Vectorised with numpy so a million customers take seconds; only string joins are
per row. Emails and phones are fictitious (reserved example domains, made-up
numbers) but shaped like real ones.
"""

from __future__ import annotations

import numpy as np

# (country code, weight, phone prefix, cities)
COUNTRIES: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("DE", 0.26, "+49 1", ("Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Stuttgart")),
    ("FR", 0.16, "+33 6", ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille")),
    ("NL", 0.10, "+31 6", ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen")),
    ("ES", 0.10, "+34 6", ("Madrid", "Barcelona", "Valencia", "Seville", "Bilbao")),
    ("IT", 0.10, "+39 3", ("Rome", "Milan", "Turin", "Bologna", "Florence", "Naples")),
    ("AT", 0.06, "+43 6", ("Vienna", "Graz", "Linz", "Salzburg")),
    ("BE", 0.06, "+32 4", ("Brussels", "Antwerp", "Ghent", "Liege")),
    ("IE", 0.05, "+353 8", ("Dublin", "Cork", "Galway", "Limerick")),
    ("PT", 0.05, "+351 9", ("Lisbon", "Porto", "Braga", "Coimbra")),
    ("FI", 0.06, "+358 4", ("Helsinki", "Espoo", "Tampere", "Turku")),
)

FIRST_NAMES = (
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Emma",
    "Noah",
    "Mia",
    "Leon",
    "Lea",
    "Elias",
    "Camille",
    "Louis",
    "Chloe",
    "Hugo",
    "Ines",
    "Jules",
    "Manon",
    "Lucas",
    "Sanne",
    "Daan",
    "Fleur",
    "Bram",
    "Lucia",
    "Mateo",
    "Carmen",
    "Pablo",
    "Giulia",
    "Marco",
    "Chiara",
    "Luca",
    "Sofia",
    "Matteo",
    "Aoife",
    "Sean",
    "Niamh",
    "Conor",
    "Joao",
    "Beatriz",
    "Tiago",
    "Aino",
    "Eero",
    "Helmi",
    "Mikael",
    "Clara",
    "Felix",
    "Laura",
    "David",
    "Sarah",
    "Paul",
    "Julia",
    "Max",
    "Nina",
    "Tom",
    "Eva",
    "Ben",
    "Hanna",
    "Oscar",
    "Ella",
    "Liam",
    "Alice",
)
LAST_NAMES = (
    "Muller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Garcia",
    "Fernandez",
    "Lopez",
    "Martinez",
    "Sanchez",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Walsh",
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Korhonen",
    "Virtanen",
    "Makinen",
    "Nieminen",
    "Peeters",
    "Janssens",
    "Maes",
    "Gruber",
    "Huber",
    "Bauer",
    "Wolf",
    "Keller",
    "Lang",
    "Novak",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")
# How customers found the shop, with realistic weights.
CHANNELS = (
    ("organic_search", 0.30),
    ("paid_search", 0.20),
    ("social", 0.16),
    ("email", 0.10),
    ("referral", 0.10),
    ("direct", 0.09),
    ("marketplace", 0.05),
)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "").replace("'", "")


def make_customers(rng: np.random.Generator, n: int) -> dict[str, list]:
    """Columns name, email, phone, country, city, channel for ``n`` customers."""
    weights = np.array([c[1] for c in COUNTRIES])
    country_idx = rng.choice(len(COUNTRIES), size=n, p=weights / weights.sum())
    city_pick = rng.random(n)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    email_style = rng.integers(0, 4, n)
    email_num = rng.integers(1, 999, n)
    domain = rng.integers(0, len(EMAIL_DOMAINS), n)
    phone_num = rng.integers(10_000_000, 99_999_999, n)
    channel_w = np.array([c[1] for c in CHANNELS])
    channel_idx = rng.choice(len(CHANNELS), size=n, p=channel_w / channel_w.sum())

    names, emails, phones, countries, cities, channels = [], [], [], [], [], []
    used: set[str] = set()
    for i in range(n):
        ci = country_idx[i]
        code, _, prefix, city_list = COUNTRIES[ci]
        f, la = FIRST_NAMES[first[i]], LAST_NAMES[last[i]]
        names.append(f"{f} {la}")
        fs, ls = _slug(f), _slug(la)
        local = (
            f"{fs}.{ls}",
            f"{fs}{ls}{email_num[i]}",
            f"{fs[0]}.{ls}",
            f"{ls}.{fs}{email_num[i] % 100}",
        )[email_style[i]]
        email = f"{local}@{EMAIL_DOMAINS[domain[i]]}"
        if email in used:  # one address per customer, like a real account system
            email = f"{local}.{i}@{EMAIL_DOMAINS[domain[i]]}"
        used.add(email)
        emails.append(email)
        digits = str(phone_num[i])
        phones.append(f"{prefix}{digits[:2]} {digits[2:5]} {digits[5:]}")
        countries.append(code)
        cities.append(city_list[int(city_pick[i] ** 1.6 * len(city_list))])  # capitals dominate
        channels.append(CHANNELS[channel_idx[i]][0])
    return {
        "name": names,
        "email": emails,
        "phone": phones,
        "country": countries,
        "city": cities,
        "channel": channels,
    }
