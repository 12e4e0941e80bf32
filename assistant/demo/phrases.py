"""Phrase banks for demo review text, per aspect and polarity.

Many phrasings per aspect (negations and idioms included) so that reviews read like
people wrote them and retrieval cannot succeed by matching one fixed sentence.
Phrases are clauses without a final full stop; the composer adds punctuation.
"""

from __future__ import annotations

POS: dict[str, tuple[str, ...]] = {
    "price": (
        "great value for money",
        "not bad at all for the price",
        "worth every cent",
        "cheaper than in the shops and just as good",
        "I got it on sale, which made it a bargain",
        "a fair price for what you get",
        "you won't find better at this price",
        "honestly a steal",
    ),
    "quality": (
        "it feels really well made",
        "the build quality is excellent",
        "solid and sturdy, nothing feels cheap",
        "still like new after months of daily use",
        "the materials are premium",
        "no signs of wear so far",
        "I can't fault the craftsmanship",
        "it has held up perfectly",
    ),
    "delivery": (
        "delivery was quick",
        "it arrived a day earlier than promised",
        "shipping was fast and the tracking was accurate",
        "it came the next day",
        "never had a problem with delivery from this shop",
        "the courier was on time and friendly",
        "arrived within two days",
    ),
    "size_fit": (
        "the size is spot on",
        "fits true to size",
        "the fit is perfect",
        "I ordered my usual size and it fits like a glove",
        "no need to size up",
        "the dimensions are exactly as described",
    ),
    "battery": (
        "the battery lasts for days",
        "battery life is outstanding",
        "I only charge it once a week",
        "it easily gets through a long-haul flight on one charge",
        "charges quickly over USB-C",
        "the battery is still going strong after a year",
        "never runs flat on me",
    ),
    "sound": (
        "the sound is crisp and clear",
        "bass is deep without being muddy",
        "sound quality is superb",
        "voices come through clearly on calls",
        "the noise cancelling works wonders on the train",
        "music sounds rich and detailed",
        "the audio is much better than I expected",
    ),
    "comfort": (
        "very comfortable even after hours",
        "I forget I'm wearing them",
        "comfy from the first day",
        "no pressure points at all",
        "the cushioning is lovely",
        "comfortable enough for a full day",
    ),
    "customer_service": (
        "customer service sorted my question within an hour",
        "the support team was friendly and helpful",
        "they replied to my email the same day",
        "great after-sales service",
        "the staff went out of their way to help",
    ),
    "packaging": (
        "nicely packaged",
        "the packaging was sturdy and plastic-free",
        "well protected in the box",
        "arrived in perfect condition",
        "the box looked great, perfect as a gift",
    ),
    "ease_of_use": (
        "easy to set up",
        "really simple to use",
        "it worked straight out of the box",
        "the controls are intuitive",
        "no instructions needed",
    ),
}

NEG: dict[str, tuple[str, ...]] = {
    "price": (
        "overpriced for what it is",
        "not worth the money",
        "far too expensive",
        "the price went up right after I bought it",
        "you can get better for half the price",
        "poor value",
    ),
    "quality": (
        "it feels cheap and flimsy",
        "it broke after a few weeks",
        "the quality is poor",
        "the stitching started coming apart",
        "a part snapped off on the second use",
        "it stopped working after a month",
        "the finish scratches far too easily",
        "not the quality I expected from this brand",
    ),
    "delivery": (
        "delivery took almost three weeks",
        "it arrived late",
        "the parcel was left in the rain",
        "the tracking never updated",
        "I had to chase the courier twice",
        "it never arrived on the promised day",
        "shipping was painfully slow",
    ),
    "size_fit": (
        "runs small, order a size up",
        "the sizing is way off",
        "far too big even in my usual size",
        "it doesn't fit as described",
        "too tight around the toes",
        "the measurements on the listing are wrong",
    ),
    "battery": (
        "the battery drains really fast",
        "battery life is disappointing",
        "it barely lasts half a day",
        "it takes forever to charge",
        "the charge indicator is wildly inaccurate",
        "it runs flat overnight even when switched off",
    ),
    "sound": (
        "the sound is tinny",
        "there's a constant hiss",
        "no bass to speak of",
        "the left side crackles",
        "sound quality is muffled",
        "people say I sound distant on calls",
    ),
    "comfort": (
        "uncomfortable after twenty minutes",
        "they pinch",
        "gave me blisters",
        "painful to wear for long",
        "the padding is too hard",
    ),
    "customer_service": (
        "customer service never answered my emails",
        "support was useless",
        "I was kept on hold for an hour",
        "the refund took ages and I had to ask three times",
        "nobody at the help desk could tell me anything",
    ),
    "packaging": (
        "the box arrived crushed",
        "way too much plastic packaging",
        "it came in a torn bag",
        "the seal was broken when it arrived",
        "poorly packed, it rattled around in the box",
    ),
    "ease_of_use": (
        "the instructions are useless",
        "setup was a nightmare",
        "the controls are confusing",
    ),
}

_GADGET_EASY = (
    "pairing took seconds",
    "it connects instantly every time",
    "the app is simple and does what it should",
    "set up in two minutes",
)
_GADGET_HARD = (
    "it keeps disconnecting",
    "the app is clunky and crashes",
    "pairing fails half the time",
    "the touch controls trigger by accident",
)
# Category-specific wording where the generic bank would sound wrong
# (books talk about the book, kettles are cleaned, creams are applied).
CATEGORY_POS = {
    ("Headphones", "ease_of_use"): _GADGET_EASY,
    ("Electronics", "ease_of_use"): _GADGET_EASY,
    ("Kitchen", "ease_of_use"): (
        "easy to clean afterwards",
        "simple to use, even for my kids",
        "heats up quickly and the controls are obvious",
        "dishwasher safe, which saves time",
    ),
    ("Beauty", "ease_of_use"): (
        "absorbs quickly without feeling greasy",
        "a little goes a long way",
        "the pump dispenser makes it easy to use",
    ),
    ("Beauty", "quality"): (
        "my skin feels soft and hydrated",
        "no irritation even on my sensitive skin",
        "visible results after two weeks",
        "the texture is lovely",
    ),
    ("Toys", "ease_of_use"): (
        "easy to assemble",
        "the instructions were clear enough for my eight-year-old",
        "simple enough for little hands",
    ),
    ("Books", "quality"): (
        "the story kept me hooked until the last page",
        "beautifully written",
        "the print and paper are lovely",
        "the recipes actually work",
        "I couldn't put it down",
    ),
}
CATEGORY_NEG = {
    ("Headphones", "ease_of_use"): _GADGET_HARD,
    ("Electronics", "ease_of_use"): _GADGET_HARD,
    ("Kitchen", "ease_of_use"): (
        "hard to clean",
        "the buttons are stiff and confusing",
        "the lid is fiddly to open",
    ),
    ("Beauty", "ease_of_use"): (
        "the pump stopped dispensing halfway through",
        "it leaves a greasy film",
        "hard to get the last bit out of the tube",
    ),
    ("Beauty", "quality"): (
        "it made my skin break out",
        "the smell is overpowering",
        "no visible difference after a month",
        "it separated in the jar",
    ),
    ("Toys", "ease_of_use"): (
        "assembly took hours and pieces didn't fit",
        "the instructions are impossible to follow",
        "too fiddly for the age it says on the box",
    ),
    ("Books", "quality"): (
        "the plot dragged in the middle",
        "pages started falling out of the binding",
        "full of typos",
        "the ending was a letdown",
        "the print is so small it's hard to read",
    ),
}

# Planted defects: many ways to say the same problem, some without the aspect word.
DEFECT_PHRASES: dict[str, tuple[str, ...]] = {
    "aurora_battery": (
        "the battery died after two days",
        "it won't hold a charge anymore",
        "they drain from full to empty in about an hour",
        "dead after a week, won't even turn on",
        "fully charged in the evening, flat by the morning",
        "the battery life collapsed after the first month",
        "it shuts off at 40% charge",
        "they stopped charging altogether",
        "barely two hours of playback instead of the promised forty",
        "the battery is completely shot",
        "the charge drops like a stone",
        "they die halfway through my commute",
        "won't charge past 20%",
        "the power just cuts out mid-song",
    ),
    "stridex_sole": (
        "the sole started peeling off after three weeks",
        "the outsole wore through in under 200 km",
        "the sole separated from the upper",
        "the glue gave way at the heel",
        "the tread is already gone after a month",
        "a crack appeared right across the midsole",
        "the sole came apart on my third run",
        "they fell apart way too quickly",
    ),
    "kessler_kettle": (
        "it started leaking from the base",
        "water drips out under the handle",
        "the lid hinge snapped",
        "it leaks after a few weeks",
        "the auto shut-off stopped working",
        "there's a puddle on the counter every time I boil it",
        "rust spots appeared inside",
    ),
}

OPENERS = {
    5: (
        "Absolutely love it.",
        "Five stars from me.",
        "Exceeded my expectations.",
        "Best purchase this year.",
        "Really happy with this.",
        "Brilliant.",
        "",
    ),
    4: (
        "Very good overall.",
        "Happy with it.",
        "Pretty good.",
        "Does the job well.",
        "Solid choice.",
        "",
    ),
    3: (
        "It's okay.",
        "Mixed feelings.",
        "Average.",
        "Not great, not terrible.",
        "Decent but not perfect.",
        "",
    ),
    2: ("Disappointed.", "Not what I hoped for.", "Wouldn't buy again.", "Expected more.", ""),
    1: (
        "Terrible.",
        "Avoid.",
        "Complete waste of money.",
        "Very disappointed.",
        "Save your money.",
        "",
    ),
}
CLOSERS = {
    5: (
        "Would definitely recommend.",
        "Already ordered a second one as a gift.",
        "Highly recommended!",
        "",
        "",
        "",
    ),
    4: ("Would buy again.", "Recommended.", "", "", ""),
    3: ("Might keep it, might not.", "It's fine for the money I suppose.", "", ""),
    2: ("Thinking about returning it.", "Can't really recommend it.", "", ""),
    1: ("Returned it.", "Asked for a refund.", "Stay away.", "Never again.", ""),
}
TITLES = {
    5: (
        "Love it",
        "Excellent",
        "Perfect",
        "Great buy",
        "Highly recommend",
        "Superb",
        "Exactly what I wanted",
    ),
    4: ("Very good", "Good value", "Pretty happy", "Nice", "Good but not perfect"),
    3: ("Okay", "Average", "Mixed", "It's fine", "Could be better"),
    2: ("Disappointing", "Not great", "Meh", "Had issues", "Expected better"),
    1: ("Awful", "Do not buy", "Broken", "Waste of money", "Really bad"),
}
DEFECT_TITLES = {
    "aurora_battery": (
        "Battery died",
        "Won't hold a charge",
        "Dead after a week",
        "Charging problem",
        "Battery drain",
        "Stopped working",
    ),
    "stridex_sole": ("Sole fell apart", "Poor durability", "Falling apart", "Sole peeling"),
    "kessler_kettle": ("Leaks", "Leaking kettle", "Broke quickly", "Dripping everywhere"),
}
CONTEXT = (
    "Bought this after my old one gave up.",
    "Ordered it after a friend recommended it.",
    "Had it on my wishlist for months.",
    "Got it as a birthday present for my partner.",
    "I've been using it for about a month now.",
    "Second one I've bought.",
    "Replaced my old one with this.",
    "Ordered during the sale.",
    "Used it every day for three weeks.",
    "",
    "",
    "",
)

# Titles that name the aspect the review is mostly about.
ASPECT_TITLES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("price", True): ("Great value", "Bargain", "Worth the money"),
    ("price", False): ("Overpriced", "Not worth it", "Too expensive"),
    ("quality", True): ("Well made", "Solid build", "Built to last"),
    ("quality", False): ("Cheaply made", "Poor quality", "Fell apart"),
    ("delivery", True): ("Fast delivery", "Arrived early", "Quick shipping"),
    ("delivery", False): ("Late delivery", "Slow shipping", "Took forever to arrive"),
    ("size_fit", True): ("True to size", "Perfect fit", "Fits well"),
    ("size_fit", False): ("Runs small", "Wrong size", "Sizing is off"),
    ("battery", True): ("Great battery life", "Battery lasts ages", "Long battery"),
    ("battery", False): ("Weak battery", "Battery disappoints", "Poor battery life"),
    ("sound", True): ("Great sound", "Amazing audio", "Rich bass"),
    ("sound", False): ("Tinny sound", "Poor audio", "Crackling sound"),
    ("comfort", True): ("So comfortable", "Comfy all day", "Very comfy"),
    ("comfort", False): ("Uncomfortable", "Hurts after a while", "Not comfy"),
    ("customer_service", True): ("Great service", "Helpful support", "Lovely staff"),
    ("customer_service", False): ("Awful service", "Support ignored me", "Bad customer service"),
    ("packaging", True): ("Nicely packed", "Lovely packaging", "Well packaged"),
    ("packaging", False): ("Damaged box", "Too much plastic", "Poorly packed"),
    ("ease_of_use", True): ("Easy to use", "Simple setup", "Works out of the box"),
    ("ease_of_use", False): ("Hard to use", "Confusing", "Frustrating setup"),
}
