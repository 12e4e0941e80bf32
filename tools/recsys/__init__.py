"""The recommender: interaction loading, model fitting and scoring, offline evaluation.

``data`` turns orders, events and reviews into a recency-weighted user x item
matrix; ``models`` fits ALS, item-item kNN, content similarity and popularity
and blends them; ``evaluate`` measures them with leave-last-out.
"""
