"""The model server: the shipped model on KServe's model server (the ``serving`` extra).

``spotcheck model-server`` runs it; its wire contract lives in ``spotcheck.classifier.oip``, and
``spotcheck.classifier.remote`` is the client the workers use.
"""

__all__: list[str] = []
