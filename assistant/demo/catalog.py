"""The demo shop's catalogue: categories, brands, product titles and prices.

Everything here is fixed vocabulary plus a seeded ``random.Random``, so the same
seed always yields the same catalogue. Three products are planted with a defect
that starts on a known date; the review generator reads them from ``DEFECTS``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CURRENCY = "EUR"


@dataclass(frozen=True)
class Category:
    name: str
    kinds: tuple[str, ...]  # product nouns that end a title
    brands: tuple[str, ...]
    models: tuple[str, ...]
    features: tuple[str, ...]  # long-title suffixes
    price: tuple[float, float]  # typical low / high price
    aspects: tuple[str, ...]  # aspect ids reviews of this category talk about
    item: str  # how a reviewer refers to one ("these headphones")
    queries: tuple[str, ...]  # what shoppers type into search


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Headphones",
        (
            "Wireless Headphones",
            "Noise Cancelling Headphones",
            "True Wireless Earbuds",
            "Over-Ear Headphones",
            "Sport Earbuds",
            "Gaming Headset",
            "On-Ear Headphones",
        ),
        ("Sonora", "Kestrel Audio", "Bassline", "Veltra", "Nordlys"),
        ("Pulse", "Echo", "Drift", "Halo", "Arc", "Flow", "Studio", "Air", "Max", "Lite"),
        (
            "Bluetooth 5.3, 40h Playtime, Foldable",
            "Active Noise Cancelling, USB-C Fast Charge",
            "with Microphone, Deep Bass, Black",
            "IPX5 Sweatproof, Charging Case",
            "Hi-Res Audio, Multipoint Pairing, Carry Case",
        ),
        (19.0, 320.0),
        (
            "sound",
            "battery",
            "comfort",
            "quality",
            "price",
            "delivery",
            "ease_of_use",
            "packaging",
            "customer_service",
        ),
        "these headphones",
        (
            "wireless headphones",
            "noise cancelling headphones",
            "earbuds for running",
            "bluetooth headset",
            "headphones with long battery",
            "over ear headphones",
        ),
    ),
    Category(
        "Running Shoes",
        (
            "Road Running Shoes",
            "Trail Running Shoes",
            "Racing Flats",
            "Cushioned Running Shoes",
            "Stability Running Shoes",
        ),
        ("Stridex", "Fleetfoot", "Terrano", "Velocita", "Nimbra"),
        ("Tempo", "Glide", "Ridge", "Sprint", "Cloudrun", "Pace", "Volt", "Summit"),
        (
            "Men's, Breathable Mesh, Size 42",
            "Women's, Lightweight, Wide Fit",
            "Waterproof, Grippy Outsole",
            "Carbon Plate, Race Day",
            "Neutral, 8mm Drop",
        ),
        (55.0, 190.0),
        ("size_fit", "comfort", "quality", "price", "delivery", "packaging", "customer_service"),
        "these shoes",
        (
            "running shoes",
            "trail shoes",
            "wide fit running shoes",
            "marathon shoes",
            "lightweight trainers",
        ),
    ),
    Category(
        "Kitchen",
        (
            "Electric Kettle",
            "Chef's Knife",
            "Blender",
            "Non-Stick Frying Pan",
            "Coffee Grinder",
            "Toaster",
            "Cast Iron Casserole",
            "Hand Mixer",
        ),
        ("Kessler", "Copperleaf", "Maison Vert", "Brightcook", "Hestia"),
        ("Classic", "Pro", "Essential", "Signature", "Compact", "Plus"),
        (
            "1.7L, Stainless Steel, Auto Shut-Off",
            "28cm, Induction Compatible, Dishwasher Safe",
            "1000W, 6 Speeds, BPA-Free Jar",
            "Burr Grinder, 15 Settings",
        ),
        (12.0, 240.0),
        ("quality", "ease_of_use", "price", "delivery", "packaging", "customer_service"),
        "it",
        ("electric kettle", "frying pan", "coffee grinder", "blender", "chef knife"),
    ),
    Category(
        "Home",
        (
            "Bed Sheet Set",
            "Throw Blanket",
            "Table Lamp",
            "Storage Baskets",
            "Scented Candle",
            "Bath Towel Set",
            "Wall Clock",
            "Cushion Covers",
        ),
        ("Linden & Co", "Hearthside", "Casa Calma", "Nordhem"),
        ("Cosy", "Loft", "Haven", "Oslo", "Linen", "Amber"),
        (
            "100% Cotton, King Size, Grey",
            "Set of 3, Natural Seagrass",
            "Soy Wax, 45h Burn Time",
            "Oeko-Tex Certified, 4 Pieces",
        ),
        (9.0, 160.0),
        ("quality", "size_fit", "price", "delivery", "packaging", "customer_service"),
        "it",
        ("bed sheets", "throw blanket", "table lamp", "scented candle", "bath towels"),
    ),
    Category(
        "Beauty",
        (
            "Face Moisturiser",
            "Vitamin C Serum",
            "Shampoo",
            "Lip Balm Set",
            "Hair Dryer",
            "Sunscreen SPF 50",
            "Eye Cream",
        ),
        ("Lumiere", "Pure Botanica", "Dermaclar", "Solenne"),
        ("Hydra", "Glow", "Daily", "Repair", "Silk", "Fresh"),
        (
            "50ml, Fragrance Free, Sensitive Skin",
            "Vegan, Cruelty Free, 30ml",
            "with Hyaluronic Acid, Travel Size",
        ),
        (5.0, 75.0),
        ("quality", "price", "packaging", "delivery", "ease_of_use", "customer_service"),
        "it",
        ("moisturiser for dry skin", "vitamin c serum", "sunscreen", "hair dryer"),
    ),
    Category(
        "Books",
        (
            "Cookbook",
            "Thriller Novel",
            "Travel Guide",
            "Children's Picture Book",
            "Biography",
            "Fantasy Novel",
            "Self-Help Book",
        ),
        ("Harbor Press", "Quillstone", "Lantern Books", "Bluefern"),
        (
            "The Quiet Shore",
            "Salt and Smoke",
            "Northern Lights",
            "The Last Orchard",
            "Midnight Harbour",
            "Paper Moons",
            "The Long Road",
        ),
        ("Paperback, 352 Pages", "Hardcover, Illustrated Edition", "Large Print"),
        (7.0, 38.0),
        ("quality", "price", "delivery", "packaging"),
        "this book",
        ("thriller books", "cookbook", "travel guide italy", "picture book for kids"),
    ),
    Category(
        "Toys",
        (
            "Building Blocks Set",
            "Wooden Train Set",
            "Plush Bear",
            "Remote Control Car",
            "Puzzle 1000 Pieces",
            "Board Game",
        ),
        ("Playvale", "Tinkertop", "Bricko", "Kidora"),
        ("Adventure", "Junior", "Explorer", "Classic", "Mega"),
        ("500 Pieces, Ages 6+", "Ages 3+, FSC Wood", "Family Edition, 2-6 Players"),
        (8.0, 95.0),
        ("quality", "ease_of_use", "price", "delivery", "packaging", "customer_service"),
        "it",
        ("building blocks", "board game for family", "remote control car", "puzzle 1000"),
    ),
    Category(
        "Outdoor",
        (
            "Hiking Backpack",
            "Camping Tent",
            "Sleeping Bag",
            "Rain Jacket",
            "Trekking Poles",
            "Insulated Water Bottle",
        ),
        ("Terrano", "Fjellvik", "Summitline", "Wildpeak"),
        ("Trail", "Alpine", "Ranger", "Basecamp", "Ultra"),
        (
            "35L, Rain Cover Included",
            "2-Person, 3-Season, 2.1kg",
            "Waterproof, Packable, Men's M",
            "750ml, Keeps Cold 24h",
        ),
        (15.0, 290.0),
        ("quality", "size_fit", "comfort", "price", "delivery", "customer_service"),
        "it",
        ("hiking backpack", "2 person tent", "rain jacket", "sleeping bag"),
    ),
    Category(
        "Electronics",
        (
            "Bluetooth Speaker",
            "Power Bank",
            "Smartwatch",
            "USB-C Charger",
            "E-Reader",
            "Action Camera",
            "Wireless Mouse",
        ),
        ("Aurora", "Voltix", "Nexora", "Brightwave", "Kestrel Audio"),
        ("One", "Go", "Mini", "Pro", "X2", "Neo"),
        (
            "20000mAh, 65W PD, Slim",
            "Waterproof IP67, 24h Playtime",
            "GPS, Heart Rate, AMOLED",
            "4K 60fps, Waterproof Case",
        ),
        (15.0, 380.0),
        ("battery", "quality", "ease_of_use", "price", "delivery", "sound", "customer_service"),
        "it",
        ("bluetooth speaker", "power bank", "smartwatch", "usb c charger", "e-reader"),
    ),
    Category(
        "Pet Supplies",
        (
            "Dog Bed",
            "Cat Scratching Post",
            "Dog Harness",
            "Automatic Pet Feeder",
            "Cat Litter",
            "Chew Toy Set",
        ),
        ("Pawsome", "Whiskerly", "Happy Tails", "Furwell"),
        ("Comfort", "Active", "Cosy", "Smart", "Everyday"),
        ("Large, Washable Cover", "No-Pull, Reflective, Size M", "Clumping, 10L"),
        (5.0, 90.0),
        ("quality", "size_fit", "price", "delivery", "packaging", "customer_service"),
        "it",
        ("dog bed", "cat scratching post", "dog harness", "pet feeder"),
    ),
)

CATEGORY_BY_NAME = {c.name: c for c in CATEGORIES}


@dataclass(frozen=True)
class Defect:
    key: str
    category: str
    title: str
    brand: str
    aspect: str
    since: str  # ISO date the complaints start
    price: float


# Planted defects: the headline one first.
DEFECTS: tuple[Defect, ...] = (
    Defect(
        "aurora_battery",
        "Headphones",
        "Aurora Pulse ANC Wireless Headphones, Over-Ear Bluetooth 5.3, 40h Playtime",
        "Aurora",
        "battery",
        "2026-03-01",
        129.0,
    ),
    Defect(
        "stridex_sole",
        "Running Shoes",
        "Stridex Tempo 3 Road Running Shoes, Men's, Breathable Mesh",
        "Stridex",
        "quality",
        "2025-09-01",
        119.0,
    ),
    Defect(
        "kessler_kettle",
        "Kitchen",
        "Kessler Classic Electric Kettle 1.7L, Stainless Steel, Auto Shut-Off",
        "Kessler",
        "quality",
        "2024-11-15",
        39.0,
    ),
)

# Other Aurora products, so the brand is not a single-product shortcut.
EXTRA_PRODUCTS: tuple[tuple[str, str, str, str, float], ...] = (
    (
        "Headphones",
        "Aurora Buds Mini True Wireless Earbuds, Charging Case",
        "Aurora",
        "True Wireless Earbuds",
        59.0,
    ),
    (
        "Electronics",
        "Aurora Go Portable Bluetooth Speaker, Waterproof IP67",
        "Aurora",
        "Bluetooth Speaker",
        49.0,
    ),
)


@dataclass(frozen=True)
class Product:
    title: str
    brand: str
    category: str
    kind: str
    price: float
    description: str
    defect: str | None = None


def _price(rng: random.Random, low: float, high: float) -> float:
    # Log-uniform between the category's bounds, with shop-like endings.
    value = low * (high / low) ** rng.random()
    return round(max(1.0, int(value)) + rng.choice((0.99, 0.99, 0.95, 0.49, 0.0)), 2)


def _describe(rng: random.Random, cat: Category, kind: str, brand: str) -> str:
    openers = (
        f"The {brand} {kind.lower()} for everyday use.",
        f"A {kind.lower()} from {brand}, designed to last.",
        f"{brand} brings its best-selling {kind.lower()} to {cat.name.lower()} lovers.",
        f"Thoughtfully designed {kind.lower()} by {brand}.",
    )
    extras = (
        "Backed by a two-year warranty.",
        "Ships in recyclable packaging.",
        "Rated highly by our customers.",
        "Easy returns within 30 days.",
    )
    return f"{rng.choice(openers)} {rng.choice(extras)}"


def build_catalog(rng: random.Random, n_products: int) -> list[Product]:
    """About ``n_products`` products spread over the categories, planted ones included."""
    per_cat = max(4, n_products // len(CATEGORIES))
    planted: dict[str, list[Product]] = {c.name: [] for c in CATEGORIES}
    for d in DEFECTS:
        kind = next(k for k in CATEGORY_BY_NAME[d.category].kinds if k.split()[-1] in d.title)
        desc = _describe(rng, CATEGORY_BY_NAME[d.category], kind, d.brand)
        planted[d.category].append(
            Product(d.title, d.brand, d.category, kind, d.price, desc, d.key)
        )
    for cat_name, title, brand, kind, price in EXTRA_PRODUCTS:
        desc = _describe(rng, CATEGORY_BY_NAME[cat_name], kind, brand)
        planted[cat_name].append(Product(title, brand, cat_name, kind, price, desc))

    products: list[Product] = []
    seen = {p.title for ps in planted.values() for p in ps}
    for cat in CATEGORIES:
        items = list(planted[cat.name])
        attempts = 0
        while len(items) < per_cat and attempts < per_cat * 50:
            attempts += 1
            brand = rng.choice(cat.brands)
            kind = rng.choice(cat.kinds)
            model = rng.choice(cat.models)
            if cat.name == "Books":
                title = f"{model}: A {kind}"
                if rng.random() < 0.4:
                    title += f" ({rng.choice(cat.features)})"
            else:
                gen = rng.choice(("", "", " 2", " 3", " II", " S", " Pro"))
                title = f"{brand} {model}{gen} {kind}"
                if rng.random() < 0.45:  # marketplace-style long titles
                    title += ", " + rng.choice(cat.features)
            if title in seen:
                continue
            seen.add(title)
            items.append(
                Product(
                    title,
                    brand,
                    cat.name,
                    kind,
                    _price(rng, *cat.price),
                    _describe(rng, cat, kind, brand),
                )
            )
        # Interleave planted products with the others so their ids are not all at the front.
        rng.shuffle(items)
        products.extend(items)
    return products
