"""The Chinese demo shop: the English shop's structure, told in Chinese.

The catalogue, customers' behaviour, orders, ratings and planted defects are the
English generator's, drawn from the same seeds, so the two shops tell the same
defect story and can be compared figure for figure. What changes is everything a
person reads or types: product titles and categories, names and contact details,
reviews, tickets and search queries, prices in yuan. Text comes from the phrase
tables in this package, written as Chinese shoppers write, not translated.
"""
