"""Static material the demo shop is composed from: product kinds, countries, names, addresses.

Kept apart from `shop/demo.py` so the simulation reads as logic and this file as data. Product
names are composed (attribute + kind + colour) so a shopper can say "cancel the blue sneakers"
and several products still answer to "towel" or "sage".
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

SHOP_NAME = "Harbour & Pine"
CURRENCY = "EUR"
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class Kind:
    """One kind of product ("Bath Towel") and how its variants are named and priced."""

    name: str
    low: float
    high: float
    attrs: tuple[str, ...]
    colours: tuple[str, ...] = ()
    repeat: bool = False
    blurb: str = ""
    colour_first: bool = False  # "Blue Canvas Sneakers" rather than "Canvas Sneakers — Blue"


@dataclass(frozen=True)
class CatalogProduct:
    id: str
    name: str
    category: str
    kind: str
    description: str
    price: Decimal
    repeat_purchase: bool


EARTH = ("Sage", "Sand", "Charcoal", "Terracotta", "Ivory", "Ocean Blue", "Forest Green", "Rust")
BRIGHT = ("Blue", "Red", "Black", "White", "Grey", "Navy", "Olive", "Yellow")

K = Kind
CATEGORIES: dict[str, tuple[Kind, ...]] = {
    "kitchen": (
        K("Skillet", 29, 79, ("Cast Iron", "Carbon Steel", "Ceramic Nonstick"), (), False, "Heats evenly and goes from hob to oven."),
        K("Dutch Oven", 59, 169, ("Enamel", "Cast Iron"), ("Sage", "Terracotta", "Ocean Blue", "Ivory"), False, "Made for slow braises, stews and crusty bread."),
        K("Chef's Knife", 39, 129, ("Damascus Steel", "German Steel", "Japanese Steel"), (), False, "A 20 cm blade balanced for everyday chopping."),
        K("Cutting Board", 19, 59, ("Oak", "Walnut", "Bamboo"), (), False, "Kind to knife edges and easy to oil."),
        K("Spatula", 6, 16, ("Silicone", "Beech Wood"), ("Sage", "Charcoal", "Rust"), False, "Heat-safe and gentle on coated pans."),
        K("Mixing Bowl Set", 24, 49, ("Stainless Steel", "Stoneware"), (), False, "Three nesting sizes for baking days."),
        K("Kettle", 39, 99, ("Stainless Steel", "Enamel"), ("Black", "White", "Red"), False, "Boils a full litre in under three minutes."),
        K("Pepper Mill", 19, 45, ("Oak", "Acacia", "Brushed Steel"), (), False, "A ceramic burr you can set from coarse to fine."),
    ),
    "tableware": (
        K("Mug", 9, 19, ("Stoneware", "Porcelain", "Speckled Ceramic"), ("Sage", "Sand", "Charcoal", "Ocean Blue"), False, "Holds 350 ml and sits well in the hand."),
        K("Espresso Cup Set", 19, 39, ("Porcelain", "Stoneware"), ("White", "Black"), False, "Four thick-walled cups that keep a shot hot."),
        K("Dinner Plate Set", 39, 89, ("Stoneware", "Porcelain", "Reactive Glaze"), ("Ivory", "Sand", "Charcoal"), False, "Four 27 cm plates with a rolled rim."),
        K("Pasta Bowl", 12, 24, ("Stoneware", "Reactive Glaze"), ("Ivory", "Ocean Blue", "Terracotta"), False, "Wide and shallow, for pasta, salads and ramen."),
        K("Tumbler Set", 19, 39, ("Recycled Glass", "Crystal"), (), False, "Six tumblers for water, juice or a spritz."),
        K("Teapot", 29, 69, ("Cast Iron", "Glass", "Stoneware"), (), False, "Comes with a removable stainless steel infuser."),
        K("Cutlery Set", 49, 119, ("Brushed Steel", "Matte Black", "Brass Finish"), (), False, "Sixteen pieces for four place settings."),
    ),
    "home textiles": (
        K("Bath Towel", 19, 39, ("Linen Waffle", "Organic Cotton", "Turkish Cotton"), ("Sage", "Sand", "Ivory", "Charcoal"), False, "Absorbent, quick to dry and softer with every wash."),
        K("Hand Towel", 9, 19, ("Linen Waffle", "Organic Cotton"), ("Sage", "Sand", "Ivory"), False, "A smaller match for our bath towels."),
        K("Duvet Cover", 59, 139, ("Stonewashed Linen", "Cotton Percale", "Cotton Sateen"), ("Ivory", "Sage", "Terracotta", "Ocean Blue"), False, "Hidden button closure and corner ties."),
        K("Pillowcase Pair", 19, 39, ("Stonewashed Linen", "Cotton Percale"), ("Ivory", "Sage", "Terracotta"), False, "Two envelope-style pillowcases."),
        K("Throw Blanket", 39, 99, ("Merino Wool", "Chunky Knit", "Cotton Herringbone"), ("Rust", "Forest Green", "Sand"), False, "Large enough to share on the sofa."),
        K("Bath Mat", 19, 35, ("Cotton Tufted", "Teak Slatted"), (), False, "Non-slip underside, machine washable."),
    ),
    "lighting": (
        K("Table Lamp", 49, 149, ("Ceramic", "Rattan", "Brushed Brass", "Opal Glass"), (), False, "Takes an E27 bulb; linen shade included."),
        K("Floor Lamp", 89, 249, ("Arc", "Tripod Oak", "Brushed Brass"), (), False, "A warm reading light for a corner chair."),
        K("Pendant Light", 59, 179, ("Rattan", "Opal Glass", "Spun Aluminium"), (), False, "Ceiling rose and 1.5 m of fabric cable."),
        K("LED Bulb Pack", 9, 19, ("Warm White", "Dimmable Filament"), (), True, "Four long-life bulbs, E27, 2700 K."),
        K("String Lights", 19, 39, ("Solar", "Battery"), (), False, "Ten metres of warm white lights for patios and balconies."),
        K("Lantern", 24, 59, ("Rechargeable", "Hurricane Glass"), ("Black", "Olive"), False, "Hang it or stand it, indoors or out."),
    ),
    "furniture": (
        K("Side Table", 79, 199, ("Oak", "Walnut", "Marble Top"), (), False, "Round top, 45 cm tall, ships flat."),
        K("Bookshelf", 149, 349, ("Oak", "Pine", "Powder-Coated Steel"), (), False, "Five shelves, anti-tip kit included."),
        K("Stool", 49, 119, ("Oak", "Rattan", "Beech"), (), False, "Counter height, sturdy and stackable."),
        K("Lounge Chair", 249, 599, ("Bouclé", "Leather", "Linen"), ("Ivory", "Rust", "Forest Green"), False, "Deep seat, solid wood frame."),
        K("Coat Rack", 39, 99, ("Oak", "Black Steel"), (), False, "Six hooks and a shelf for hats."),
        K("Bench", 119, 279, ("Oak", "Pine", "Teak"), (), False, "Seats two at a table or in a hallway."),
    ),
    "garden": (
        K("Planter", 19, 69, ("Terracotta", "Fibre Clay", "Glazed Ceramic"), ("Sand", "Charcoal", "Sage"), False, "Drainage hole and a saucer included."),
        K("Watering Can", 19, 45, ("Galvanised Steel", "Powder-Coated"), ("Olive", "Rust", "Black"), False, "Holds 5 litres with a brass rose."),
        K("Pruning Shears", 19, 49, ("Bypass", "Anvil"), (), False, "Hardened steel blades for stems up to 2 cm."),
        K("Garden Gloves", 9, 19, ("Leather", "Bamboo Knit"), (), True, "Grippy palms, breathable backs."),
        K("Potting Soil", 7, 14, ("Peat-Free", "Herb & Vegetable"), (), True, "A 20 litre bag, enriched with compost."),
        K("Seed Kit", 9, 19, ("Herb Garden", "Wildflower", "Salad Leaves"), (), True, "Organic seeds with a simple sowing calendar."),
        K("Bird Feeder", 19, 39, ("Hanging", "Window"), (), False, "Squirrel-resistant, easy to refill."),
    ),
    "outdoor & camping": (
        K("Tent", 129, 399, ("2-Person Dome", "3-Person Tunnel", "Ultralight"), ("Olive", "Orange", "Grey"), False, "Pitches in under ten minutes; 3000 mm waterproof fly."),
        K("Sleeping Bag", 59, 229, ("Down", "Synthetic", "Summer"), (), False, "Comfort rated to 2 °C, packs into its own sack."),
        K("Sleeping Mat", 39, 129, ("Self-Inflating", "Closed-Cell Foam", "Air"), (), False, "Insulates you from cold ground."),
        K("Camping Stove", 39, 99, ("Compact Gas", "Multi-Fuel"), (), False, "Boils a litre in about four minutes."),
        K("Gas Canister", 5, 9, ("230 g", "450 g"), (), True, "Butane-propane mix for our camping stoves."),
        K("Headlamp", 19, 59, ("Rechargeable", "Waterproof"), (), False, "300 lumens with a red night mode."),
        K("Backpack", 69, 179, ("30 L Daypack", "50 L Trekking", "Rolltop"), ("Black", "Olive", "Navy", "Yellow"), False, "Padded back panel and a rain cover."),
        K("Cookset", 29, 69, ("Titanium", "Hard-Anodised"), (), False, "A pot, a pan and two mugs that nest together."),
    ),
    "apparel": (
        K("T-Shirt", 19, 35, ("Organic Cotton", "Merino"), BRIGHT, False, "A relaxed fit in a midweight jersey.", True),
        K("Hoodie", 49, 89, ("Brushed Cotton", "Recycled Fleece"), BRIGHT, False, "Kangaroo pocket and a lined hood.", True),
        K("Rain Jacket", 89, 199, ("Waterproof Shell", "Packable"), ("Yellow", "Navy", "Olive", "Black"), False, "Taped seams, adjustable hood, packs into its pocket.", True),
        K("Wool Sweater", 69, 139, ("Merino", "Lambswool", "Cable Knit"), ("Navy", "Olive", "Grey", "Red"), False, "Warm without the itch.", True),
        K("Socks", 12, 19, ("Merino Hiking", "Organic Cotton"), ("Grey", "Navy", "Olive"), True, "Three pairs with cushioned heels.", True),
        K("Beanie", 19, 35, ("Ribbed Merino", "Recycled Wool"), ("Rust", "Navy", "Grey", "Yellow"), False, "Fold-up cuff, one size.", True),
    ),
    "footwear": (
        K("Sneakers", 69, 129, ("Canvas", "Leather", "Suede"), BRIGHT, False, "Vulcanised rubber soles and a cushioned insole.", True),
        K("Hiking Boots", 119, 219, ("Waterproof Leather", "Lightweight Mesh"), ("Brown", "Grey", "Olive"), False, "Grippy lugged outsoles for trails.", True),
        K("Chelsea Boots", 129, 199, ("Leather", "Suede"), ("Black", "Brown", "Sand"), False, "Elastic sides and a pull tab.", True),
        K("Slippers", 29, 59, ("Felted Wool", "Shearling-Lined"), ("Grey", "Red", "Navy"), False, "Soft soles for quiet mornings.", True),
        K("Running Shoes", 89, 159, ("Trail", "Road"), ("Blue", "Black", "Red", "White"), False, "Responsive foam and a breathable upper.", True),
        K("Rain Boots", 39, 79, ("Natural Rubber",), ("Yellow", "Navy", "Olive", "Black"), False, "Fully waterproof, cotton-lined.", True),
    ),
    "beauty & care": (
        K("Shampoo", 9, 19, ("Oat & Honey", "Rosemary Mint", "Argan Oil", "Unscented"), (), True, "250 ml, sulphate-free, for daily use."),
        K("Conditioner", 9, 19, ("Oat & Honey", "Rosemary Mint", "Argan Oil"), (), True, "250 ml; detangles without weighing hair down."),
        K("Hand Cream", 7, 15, ("Shea Butter", "Lavender", "Unscented"), (), True, "75 ml tube, absorbs quickly."),
        K("Body Lotion", 12, 24, ("Shea Butter", "Cedar & Bergamot", "Unscented"), (), True, "300 ml pump bottle."),
        K("Soap Bar", 5, 9, ("Olive Oil", "Charcoal", "Lavender", "Goat Milk"), (), True, "Cold-processed, palm-oil-free."),
        K("Face Serum", 19, 39, ("Vitamin C", "Hyaluronic", "Niacinamide"), (), True, "30 ml dropper bottle."),
        K("Sunscreen", 12, 24, ("SPF 30", "SPF 50 Mineral"), (), True, "Water resistant, reef-friendly filters."),
    ),
    "coffee & tea": (
        K("Coffee Beans", 9, 19, ("Ethiopia Yirgacheffe", "Colombia Huila", "Brazil Santos", "House Espresso", "Decaf Swiss Water"), (), True, "250 g of whole beans, roasted in small batches."),
        K("Ground Coffee", 8, 15, ("House Filter", "Italian Roast"), (), True, "250 g, ground for filter and French press."),
        K("Loose Leaf Tea", 7, 16, ("Earl Grey", "Sencha Green", "Rooibos Vanilla", "Masala Chai", "Chamomile"), (), True, "100 g in a resealable tin."),
        K("Matcha", 19, 32, ("Ceremonial", "Culinary"), (), True, "30 g of stone-ground Japanese tea."),
        K("French Press", 29, 59, ("Glass", "Stainless Steel"), (), False, "Makes 1 litre; the mesh filter lifts out to clean."),
        K("Pour-Over Dripper", 19, 39, ("Ceramic", "Glass"), (), False, "Fits most mugs; uses size 02 filters."),
        K("Coffee Grinder", 39, 149, ("Hand Burr", "Electric Burr"), (), False, "Steel burrs with 30 grind settings."),
        K("Paper Filters", 4, 7, ("Size 02", "Size 04"), (), True, "100 unbleached filters."),
    ),
    "toys & games": (
        K("Wooden Blocks", 24, 49, ("Natural Beech", "Rainbow"), (), False, "Fifty blocks with water-based paints, ages 1+."),
        K("Jigsaw Puzzle", 14, 29, ("1000-Piece Harbour", "500-Piece Forest", "1000-Piece Map"), (), False, "Thick recycled card, poster included."),
        K("Board Game", 24, 49, ("Family Strategy", "Cooperative", "Word"), (), False, "For 2 to 6 players, about 45 minutes."),
        K("Card Game", 9, 19, ("Quick-Draw", "Trick-Taking"), (), False, "Fits in a pocket, learn it in five minutes."),
        K("Plush Bear", 19, 35, ("Organic Cotton", "Knitted"), ("Sand", "Rust", "Grey"), False, "Machine washable, safe from birth."),
        K("Kite", 19, 39, ("Delta", "Box"), ("Red", "Blue", "Yellow"), False, "Ripstop sail and 30 m of line."),
        K("Craft Kit", 14, 29, ("Watercolour", "Origami", "Embroidery"), (), True, "Everything for an afternoon's project."),
    ),
    "pet supplies": (
        K("Dog Food", 19, 49, ("Grain-Free Salmon", "Chicken & Rice", "Senior Lamb"), (), True, "A 6 kg bag of complete dry food."),
        K("Cat Food", 14, 34, ("Tuna & Salmon", "Indoor Chicken", "Kitten Turkey"), (), True, "A 2 kg bag of complete dry food."),
        K("Dog Treats", 5, 12, ("Beef Chews", "Dental Sticks"), (), True, "Resealable bag, no added sugar."),
        K("Cat Litter", 9, 19, ("Clumping Clay", "Wood Pellet"), (), True, "A 10 litre bag, low dust."),
        K("Dog Bed", 39, 99, ("Orthopaedic", "Donut"), ("Grey", "Sand", "Forest Green"), False, "Removable, machine-washable cover."),
        K("Leash", 14, 29, ("Rope", "Leather"), ("Red", "Navy", "Black"), False, "1.8 m with a padded handle."),
        K("Pet Bowl", 9, 24, ("Stoneware", "Stainless Steel"), ("Sand", "Ocean Blue"), False, "Non-slip base, dishwasher safe."),
        K("Cat Scratcher", 19, 59, ("Sisal Post", "Cardboard Lounge"), (), False, "Keeps claws off the sofa."),
    ),
}

# Kinds bought together: planted co-purchase structure the recommendation models should learn.
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "Coffee Beans": ("Mug", "French Press", "Coffee Grinder", "Paper Filters", "Espresso Cup Set"),
    "Ground Coffee": ("Mug", "French Press", "Paper Filters"),
    "Pour-Over Dripper": ("Paper Filters", "Coffee Beans"),
    "French Press": ("Coffee Beans", "Ground Coffee", "Mug"),
    "Loose Leaf Tea": ("Teapot", "Mug"),
    "Matcha": ("Mug",),
    "Tent": ("Sleeping Bag", "Sleeping Mat", "Headlamp"),
    "Sleeping Bag": ("Sleeping Mat", "Tent"),
    "Camping Stove": ("Gas Canister", "Cookset"),
    "Hiking Boots": ("Socks", "Backpack"),
    "Sneakers": ("Socks",),
    "Running Shoes": ("Socks",),
    "Rain Jacket": ("Rain Boots", "Beanie"),
    "Shampoo": ("Conditioner",),
    "Body Lotion": ("Soap Bar", "Hand Cream"),
    "Dog Food": ("Dog Treats", "Pet Bowl"),
    "Dog Bed": ("Leash", "Dog Treats"),
    "Cat Food": ("Cat Litter",),
    "Skillet": ("Spatula",),
    "Chef's Knife": ("Cutting Board",),
    "Dutch Oven": ("Spatula",),
    "Duvet Cover": ("Pillowcase Pair",),
    "Bath Towel": ("Hand Towel", "Bath Mat"),
    "Dinner Plate Set": ("Pasta Bowl", "Cutlery Set"),
    "Planter": ("Potting Soil", "Watering Can"),
    "Seed Kit": ("Potting Soil", "Garden Gloves"),
    "Table Lamp": ("LED Bulb Pack",),
    "Pendant Light": ("LED Bulb Pack",),
    "Board Game": ("Card Game", "Jigsaw Puzzle"),
}

# Month (1-12) multipliers: gardens in spring, camping in summer, toys before Christmas.
SEASONS: dict[str, dict[int, float]] = {
    "garden": {3: 2.5, 4: 3.0, 5: 2.5, 6: 1.5, 11: 0.4, 12: 0.3, 1: 0.3},
    "outdoor & camping": {5: 2.0, 6: 2.5, 7: 2.5, 8: 2.0, 12: 0.5, 1: 0.4},
    "toys & games": {11: 2.5, 12: 3.5},
    "lighting": {10: 1.5, 11: 1.8, 12: 1.8},
}

CARE = {
    "kitchen": "Hand wash recommended to keep it for years.",
    "tableware": "Dishwasher and microwave safe.",
    "home textiles": "Wash at 40 °C; tumble dry low.",
    "furniture": "Assembly takes about 20 minutes; tools included.",
    "apparel": "True to size; free exchanges within 30 days.",
    "footwear": "True to size; half sizes should size up.",
    "pet supplies": "Made in the EU.",
}


def _price(rng: random.Random, low: float, high: float) -> Decimal:
    whole = int(rng.uniform(low, high))
    return Decimal(f"{whole}.{rng.choice(('95', '99', '50', '00', '95'))}")


def build_catalog(rng: random.Random) -> list[CatalogProduct]:
    """~300 products: every attribute of every kind, with colour variants where the kind has them."""
    products: list[CatalogProduct] = []
    for category, kinds in CATEGORIES.items():
        for kind in kinds:
            for attr in kind.attrs:
                colours = rng.sample(kind.colours, min(2, len(kind.colours))) if kind.colours else [""]
                for colour in colours:
                    if not colour:
                        name = f"{attr} {kind.name}"
                    elif kind.colour_first:
                        name = f"{colour} {attr} {kind.name}"
                    else:
                        name = f"{attr} {kind.name} — {colour}"
                    opener = f"Our {attr.lower()} {kind.name.lower()}" + (f" in {colour.lower()}." if colour else ".")
                    text = " ".join(s for s in (opener, kind.blurb, CARE.get(category, "")) if s)
                    pid = f"P{len(products) + 1:04d}"
                    products.append(CatalogProduct(pid, name, category, kind.name, text,
                                                   _price(rng, kind.low, kind.high), kind.repeat))
    return products


class Catalog:
    """Products indexed for fast weighted picks: Zipf-like popularity inside each category."""

    def __init__(self, products: list[CatalogProduct], rng: random.Random) -> None:
        self.products = products
        self.categories = list(dict.fromkeys(p.category for p in products))
        self.by_cat: dict[str, tuple[list[CatalogProduct], list[float]]] = {}
        for cat in self.categories:
            items = [p for p in products if p.category == cat]
            rng.shuffle(items)
            self.by_cat[cat] = (items, [1 / (rank + 1) ** 0.8 for rank in range(len(items))])
        self.by_kind: dict[str, list[CatalogProduct]] = {}
        for p in products:
            self.by_kind.setdefault(p.kind, []).append(p)

    def pick(self, rng: random.Random, category: str) -> CatalogProduct:
        items, weights = self.by_cat[category]
        return rng.choices(items, weights)[0]


def tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":  # 1Z + 6-character shipper account + 2-digit service + 8 digits
        return "1Z" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTVWXYZ", k=6)) + f"{rng.randint(0, 99):02d}{rng.randrange(10**8):08d}"
    if carrier == "DPD":  # 14-digit parcel number
        return f"0{rng.randrange(10**13):013d}"
    return f"00340434{rng.randrange(10**12):012d}"  # DHL Paket: 20 digits


def ascii_name(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum())


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    first: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[tuple[str, tuple[str, ...]], ...]
    streets: tuple[str, ...]
    number_first: bool = False

    def street_line(self, rng: random.Random) -> str:
        street, number = rng.choice(self.streets), str(rng.randint(1, 140))
        if self.number_first:
            return f"{number} {street}"
        return f"{street}, {number}" if self.code in ("IT", "ES", "PT") else f"{street} {number}"


C = Country
COUNTRIES: tuple[Country, ...] = (
    C("DE", 26, ("Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lea", "Paul", "Hannah", "Moritz"),
      ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner", "Koch", "Richter"),
      (("Berlin", ("10115", "10243", "10437", "12049")), ("Hamburg", ("20095", "22765", "20357")),
       ("München", ("80331", "80469", "81667")), ("Köln", ("50667", "50823")), ("Leipzig", ("04109", "04277"))),
      ("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Gartenweg", "Lindenallee", "Kastanienallee")),
    C("FR", 12, ("Camille", "Louis", "Chloé", "Hugo", "Léa", "Gabriel", "Manon", "Jules"),
      ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"),
      (("Paris", ("75003", "75011", "75018")), ("Lyon", ("69002", "69007")), ("Bordeaux", ("33000", "33800")),
       ("Nantes", ("44000", "44100"))),
      ("rue de la République", "avenue Victor Hugo", "rue du Moulin", "boulevard Voltaire", "rue des Lilas"), True),
    C("NL", 9, ("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Finn", "Sanne"),
      ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"),
      (("Amsterdam", ("1012 AB", "1017 CT", "1053 KL")), ("Rotterdam", ("3011 AD", "3024 EH")),
       ("Utrecht", ("3511 LK", "3581 BN")), ("Groningen", ("9711 GP",))),
      ("Kerkstraat", "Prinsengracht", "Dorpsstraat", "Molenweg", "Stationsplein")),
    C("BE", 5, ("Lotte", "Arthur", "Louise", "Noah", "Elise", "Victor"),
      ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes"),
      (("Brussel", ("1000", "1050")), ("Antwerpen", ("2000", "2018")), ("Gent", ("9000",)), ("Liège", ("4000",))),
      ("Kerkstraat", "Rue Royale", "Meir", "Veldstraat", "Rue Neuve")),
    C("AT", 6, ("Lena", "Tobias", "Laura", "Elias", "Katharina", "Florian"),
      ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner"),
      (("Wien", ("1010", "1070", "1180")), ("Graz", ("8010", "8020")), ("Linz", ("4020",)), ("Salzburg", ("5020",))),
      ("Mariahilfer Straße", "Getreidegasse", "Landstraße", "Herrengasse", "Schulgasse")),
    C("IT", 7, ("Giulia", "Marco", "Francesca", "Luca", "Sara", "Matteo", "Chiara", "Andrea"),
      ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
      (("Milano", ("20121", "20143")), ("Roma", ("00184", "00153")), ("Torino", ("10121",)), ("Bologna", ("40126",))),
      ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante", "Via Mazzini")),
    C("ES", 6, ("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Daniel"),
      ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez"),
      (("Madrid", ("28004", "28013", "28045")), ("Barcelona", ("08001", "08012")), ("Valencia", ("46001",)),
       ("Sevilla", ("41001",))),
      ("Calle Mayor", "Calle de Alcalá", "Calle de Atocha", "Avenida de la Constitución", "Calle Real")),
    C("IE", 3, ("Aoife", "Conor", "Siobhán", "Cian", "Niamh", "Darragh"),
      ("Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "O'Brien"),
      (("Dublin", ("D02 X285", "D08 VF8H", "D06 R6X2")), ("Cork", ("T12 YX2K",)), ("Galway", ("H91 E2K3",))),
      ("Main Street", "Church Road", "Harbour View", "Patrick Street"), True),
    C("SE", 4, ("Elsa", "William", "Maja", "Oscar", "Alva", "Liam"),
      ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"),
      (("Stockholm", ("111 20", "116 28", "113 30")), ("Göteborg", ("411 05", "413 01")), ("Malmö", ("211 20",))),
      ("Storgatan", "Drottninggatan", "Kungsgatan", "Skolgatan")),
    C("DK", 3, ("Freja", "Noah", "Ida", "Oliver", "Clara", "Magnus"),
      ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen"),
      (("København", ("1050", "2100", "2200")), ("Aarhus", ("8000",)), ("Odense", ("5000",))),
      ("Nørrebrogade", "Vesterbrogade", "Strøget", "Søndergade")),
    C("PL", 5, ("Zofia", "Jakub", "Julia", "Antoni", "Maja", "Szymon"),
      ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski"),
      (("Warszawa", ("00-001", "02-595", "03-715")), ("Kraków", ("30-001", "31-154")), ("Gdańsk", ("80-001",)),
       ("Wrocław", ("50-001",))),
      ("ul. Marszałkowska", "ul. Długa", "ul. Floriańska", "ul. Piotrkowska", "ul. Ogrodowa")),
    C("PT", 3, ("Beatriz", "Tiago", "Inês", "Rodrigo", "Mariana", "Duarte"),
      ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa"),
      (("Lisboa", ("1100-148", "1200-195", "1250-096")), ("Porto", ("4000-322", "4050-262")), ("Braga", ("4700-435",))),
      ("Rua Augusta", "Rua de Santa Catarina", "Avenida da Liberdade", "Rua do Carmo")),
    C("FI", 2, ("Aino", "Eetu", "Helmi", "Onni", "Venla", "Leo"),
      ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine"),
      (("Helsinki", ("00100", "00530", "00250")), ("Tampere", ("33100",)), ("Turku", ("20100",))),
      ("Mannerheimintie", "Aleksanterinkatu", "Hämeenkatu", "Puistokatu")),
    C("GB", 6, ("Olivia", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack"),
      ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Davies"),
      (("London", ("SW1A 1AA", "E2 7DJ", "N1 9GU", "SE15 4QL")), ("Manchester", ("M1 1AE", "M20 2RN")),
       ("Bristol", ("BS1 4DJ",)), ("Edinburgh", ("EH1 1YZ", "EH6 6QU"))),
      ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"), True),
    C("CH", 3, ("Mia", "Noah", "Lina", "Luca", "Elena", "Leon"),
      ("Müller", "Meier", "Schmid", "Keller", "Weber", "Huber"),
      (("Zürich", ("8001", "8004", "8045")), ("Genève", ("1201", "1205")), ("Basel", ("4051",)), ("Bern", ("3011",))),
      ("Bahnhofstrasse", "Rue du Rhône", "Marktgasse", "Seestrasse")),
    C("NO", 2, ("Nora", "Jakob", "Emma", "Filip", "Ingrid", "Aksel"),
      ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Berg"),
      (("Oslo", ("0150", "0355", "0562")), ("Bergen", ("5003", "5015")), ("Trondheim", ("7011",))),
      ("Karl Johans gate", "Storgata", "Bryggen", "Kirkegata")),
)
