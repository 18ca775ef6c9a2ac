"""
=========================================
Dependence plots and attributions of text
=========================================

A bar chart says *how much* a feature matters; a dependence plot says *how*:
each dot is one row, placed at the feature's value (x) and the attribution the
feature received for that row (y).  A vertical spread at one value means the
feature's effect depends on something else, and colouring the dots by another
feature shows what.  String columns get a categorical axis.

The last section colours the words of a sentence by their attributions (the
text plot), for a small bag-of-words classifier.
"""

# %%
# A Pipeline with a string column, explained exactly
# --------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import ExactShapley
from skexplain.plotting import ScatterDisplay, TextDisplay

X, y = load_diabetes(return_X_y=True, as_frame=True)
X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
model = make_pipeline(
    ColumnTransformer([("sex", OneHotEncoder(), ["sex"])], remainder="passthrough"),
    GradientBoostingRegressor(random_state=0),
).fit(X, y)
explainer = ExactShapley(model).fit(X.sample(30, random_state=0))
expl = explainer.explain(X.iloc[:150])

# %%
# A numeric feature, coloured by the feature that best explains its spread
# --------------------------------------------------------------------------
# ``color="auto"`` groups the rows by ``bmi`` and, within each group, looks for
# the feature whose values correlate most with the attributions of ``bmi``.  It
# is a heuristic that points to a candidate interaction, not a test of one.
display = ScatterDisplay.from_explanation(expl, "bmi", color="auto")
print("colour feature chosen by 'auto':", display.color_feature_)
plt.tight_layout()

# %%
# The string column on a categorical axis
# ---------------------------------------
# ``sex`` is a string column that the Pipeline one-hot encodes; ExactShapley
# credits it as one raw feature, and the dependence plot shows one strip of
# dots per category (spread sideways so that they do not overlap).
display = expl.plot("scatter", feature="sex", color="bmi")
plt.tight_layout()

# %%
# Attributions of the words of a sentence
# ---------------------------------------
# A bag-of-words logistic regression trained on a handful of made-up reviews
# (a toy: its only purpose is to give words an effect).  To explain one
# sentence, each word is a feature that is present or removed: the model sees
# the sentence without the removed words, and the background is the empty
# sentence.  ExactShapley then splits ``P(positive | sentence) - P(positive |
# "")`` among the words.
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

reviews = ["a wonderful film", "great acting and a great story", "I loved the music",
           "a dull and boring plot", "terrible acting", "the story was not good",
           "boring music and a dull film", "not bad at all, wonderful"]
positive = [1, 1, 1, 0, 0, 0, 0, 1]
classifier = make_pipeline(CountVectorizer(), LogisticRegression()).fit(reviews, positive)

words = "the acting was great but the story was dull and boring".split()


def p_positive(present):
    """P(positive) of the sentence keeping the words where ``present`` is 1."""
    texts = [" ".join(w for w, keep in zip(words, row) if keep) for row in present]
    return classifier.predict_proba(texts)[:, 1]


word_explainer = ExactShapley(p_positive).fit(np.zeros((1, len(words))))
word_expl = word_explainer.explain(np.ones((1, len(words))))
print("P(positive):", p_positive(np.ones((1, len(words))))[0].round(3),
      "  empty sentence:", word_expl.base_values[0].round(3))
display = word_expl.plot("text", tokens=words)

# %%
# The same colours as an HTML fragment, e.g. for a report:
print(display.to_html()[:300], "...")
