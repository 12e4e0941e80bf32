"""What shoppers do besides ordering: reviews, browsing events, support tickets.

Ratings, dates and who-did-what are vectorised; only the text is composed per row.
"""

from __future__ import annotations

import numpy as np

from assistant.demo.sales import DAY, N_DAYS, Shop, demand_curve, draw_days, draw_seconds

# Star distributions for unhappy buyers: a returned order, a unit with the planted defect.
RETURNED_STARS = np.array([0.38, 0.30, 0.18, 0.09, 0.05])
DEFECT_STARS = np.array([0.62, 0.24, 0.08, 0.04, 0.02])


def sample_stars(rng: np.random.Generator, quality: np.ndarray) -> np.ndarray:
    """J-shaped ratings around a per-review product quality (about 3 .. 4.7)."""
    k = np.arange(1, 6)
    logits = 1.25 * (k[None, :] - 3) * (quality[:, None] - 3.2)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p[:, 0] += 0.012  # the angry minority every shop has
    p /= p.sum(axis=1, keepdims=True)
    cdf = np.cumsum(p, axis=1)
    return 1 + (rng.random(len(quality))[:, None] > cdf).sum(axis=1)


def simulate_reviews(
    rng: np.random.Generator,
    shop: Shop,
    quality: np.ndarray,
    defect_since: np.ndarray,
    review_rate: float,
) -> dict[str, np.ndarray]:
    """Which order lines get reviewed, when, and with how many stars (no text)."""
    status = shop.order_status[shop.line_order]
    at = shop.order_at[shop.line_order]
    prod = shop.line_product
    defect_buy = at // DAY >= defect_since[prod] - 20
    p = np.where(status == 1, 0.3, review_rate)
    p = np.where(defect_buy, np.maximum(p, 0.45), p)
    p = np.where(status == 2, 0.0, p)
    chosen = np.flatnonzero(rng.random(len(prod)) < p)
    # A customer reviews a product once, even if bought again.
    cust = shop.order_cust[shop.line_order[chosen]]
    _, first = np.unique(cust * (prod.max() + 1) + prod[chosen], return_index=True)
    chosen = chosen[np.sort(first)]
    created = at[chosen] + (2 * DAY + rng.exponential(9 * DAY, len(chosen))).astype(np.int64)
    keep = created < N_DAYS * DAY
    chosen, created = chosen[keep], created[keep]
    prod_c = prod[chosen]
    defect = created // DAY >= defect_since[prod_c]
    returned = status[chosen] == 1
    stars = sample_stars(rng, quality[prod_c])
    bad = rng.choice(5, size=len(chosen), p=RETURNED_STARS) + 1
    stars = np.where(returned, bad, stars)
    # Most, not all, units after the defect date are affected.
    affected = defect & (rng.random(len(chosen)) < 0.85)
    stars = np.where(affected, rng.choice(5, size=len(chosen), p=DEFECT_STARS) + 1, stars)
    order = np.lexsort((chosen, created))
    chosen, created, stars, affected = chosen[order], created[order], stars[order], affected[order]
    return {
        "line": chosen,
        "product": prod[chosen],
        "customer": shop.order_cust[shop.line_order[chosen]],
        "created": created,
        "rating": stars,
        "defect": affected & (stars <= 3),
        "verified": rng.random(len(chosen)) < 0.93,
        "helpful": rng.geometric(0.45, len(chosen)) - 1,
    }


def simulate_events(
    rng: np.random.Generator,
    shop: Shop,
    product_cat: np.ndarray,
    popularity: np.ndarray,
    n_random: int,
) -> dict[str, np.ndarray]:
    """Browsing: views and carts before purchases, plus free browsing and searches.

    event_type codes: 0 view, 1 cart, 2 wishlist, 3 search (product -1).
    """
    n_lines = len(shop.line_product)
    # Funnel events right before a purchase.
    viewed = np.flatnonzero(rng.random(n_lines) < 0.4)
    carted = np.flatnonzero(rng.random(n_lines) < 0.15)
    f_line = np.concatenate([viewed, carted])
    f_type = np.concatenate([np.zeros(len(viewed), int), np.ones(len(carted), int)])
    f_at = shop.order_at[shop.line_order[f_line]] - rng.integers(300, 3 * DAY, len(f_line))
    f_cust = shop.order_cust[shop.line_order[f_line]]
    f_prod = shop.line_product[f_line]

    # Free browsing, by people who buy (more) and people who never do.
    n_c = len(shop.signup)
    activity = np.bincount(shop.order_cust, minlength=n_c) + 1.5
    r_cust = rng.choice(n_c, size=n_random, p=activity / activity.sum())
    days = draw_days(rng, shop.active_lo[r_cust], shop.active_hi[r_cust], demand_curve())
    r_at = np.maximum(draw_seconds(rng, days), shop.signup[r_cust] + 60)
    r_type = rng.choice(4, size=n_random, p=[0.72, 0.08, 0.07, 0.13])
    favourite = rng.random(n_random) < 0.6
    cat = np.where(favourite, shop.primary_cat[r_cust], -1)
    r_prod = np.empty(n_random, dtype=np.int64)
    cdf = np.cumsum(popularity) / popularity.sum()
    glob = cat < 0
    r_prod[glob] = np.searchsorted(cdf, rng.random(glob.sum()), side="right")
    for k in np.unique(product_cat):
        members = np.flatnonzero(product_cat == k)
        mask = cat == k
        kcdf = np.cumsum(popularity[members]) / popularity[members].sum()
        r_prod[mask] = members[np.searchsorted(kcdf, rng.random(mask.sum()), side="right")]
    r_prod = np.minimum(r_prod, len(popularity) - 1)
    return {
        "customer": np.concatenate([f_cust, r_cust]),
        "product": np.concatenate([f_prod, r_prod]),
        "type": np.concatenate([f_type, r_type]),
        "at": np.maximum(
            np.concatenate([f_at, r_at]), shop.signup[np.concatenate([f_cust, r_cust])] + 60
        ),
    }


def pick_browsers(
    rng: np.random.Generator, shop: Shop, product_cat: np.ndarray, n_categories: int, count: int
) -> list[tuple[int, int]]:
    """(customer, category) pairs: buyers with a few orders who never bought that category."""
    n_c = len(shop.signup)
    orders = np.bincount(shop.order_cust, minlength=n_c)
    bought = np.zeros((n_c, n_categories), dtype=bool)
    bought[shop.order_cust[shop.line_order], product_cat[shop.line_product]] = True
    candidates = np.flatnonzero((orders >= 2) & (orders <= 8))
    picked = rng.choice(candidates, size=min(count, len(candidates)), replace=False)
    out = []
    for c in np.sort(picked):
        never = np.flatnonzero(~bought[c])
        if len(never):
            out.append((int(c), int(rng.choice(never))))
    return out


def browser_events(
    rng: np.random.Generator,
    shop: Shop,
    product_cat: np.ndarray,
    popularity: np.ndarray,
    browsers: list[tuple[int, int]],
) -> tuple[dict[str, list[int]], list[tuple[int, int, np.ndarray]]]:
    """Repeated views, carts and wishlists (plus a few searches) in the browsed category.

    Returns the extra events and, per browser, (customer, category, products looked at).
    """
    extra: dict[str, list[int]] = {"customer": [], "product": [], "type": [], "at": []}
    planted = []
    for c, k in browsers:
        members = np.flatnonzero(product_cat == k)
        top = members[np.argsort(-popularity[members], kind="stable")][:8]
        chosen = rng.choice(top, size=min(4, len(top)), replace=False)
        n = int(rng.integers(12, 25))
        types = rng.choice(3, size=n, p=[0.65, 0.25, 0.10]).tolist()
        n_search = int(rng.integers(2, 5))
        types += [3] * n_search  # the query comes from the product's category
        n += n_search
        start = max(int(shop.signup[c]) + DAY, (N_DAYS - 200) * DAY)
        extra["customer"] += [c] * n
        extra["product"] += rng.choice(chosen, size=n).tolist()
        extra["type"] += types
        extra["at"] += rng.integers(start, N_DAYS * DAY - 1, n).tolist()
        planted.append((c, k, chosen))
    return extra, planted
