"""Stop words for theme keywords: scikit-learn's English list and a French one of the same spirit.

Residents write in either language, so keywords drop the function words of both.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_FRENCH = """
    a à afin ai aie aient aies ait alors as au aucun aucune aujourd aupres auprès aura aurai auraient
    aurais aurait auras aurez auriez aurions aurons auront aussi autre autres aux avaient avais avait
    avant avec avez aviez avions avoir avons ayant ayez ayons bon c ça car ce ceci cela celle celles celui
    cependant certain certaine certaines certains ces cet cette ceux chacun chaque chez ci comme comment
    d dans de des deux doit donc dont du elle elles en encore entre es est et étaient étais était étant
    été êtes étiez étions être eu eue eues eûmes eurent eus eut eux faire fait faut fois font hors ici il
    ils j je jusqu l la là le les leur leurs lui m ma mais me même mêmes mes moi moins mon n ne ni non nos
    notre nous on ont ou où par parce pas peu peut peuvent plus plutôt pour pourquoi pourrait qu quand
    que quel quelle quelles quels qui quoi s sa sans se sera serai seraient serais serait seras serez
    seriez serions serons seront ses si sien soi soient sois soit sommes son sont sous soyez soyons suis
    sur t ta te tes toi ton tous tout toute toutes très tu un une unes uns vers via vos votre vous y
"""
FRENCH_STOP_WORDS = frozenset(_FRENCH.split())

_FILLER = """
    need needs needed want wants like make use better good new way ways think really idea ideas
    besoin faudrait veux voudrais mieux nouveau nouvelle idée idées
"""
IDEA_FILLER_WORDS = frozenset(_FILLER.split())
"""Words nearly every idea uses ("we need…", "il faudrait…"): they would label every theme alike."""

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | FRENCH_STOP_WORDS | IDEA_FILLER_WORDS)
"""Words that never become a theme keyword."""
