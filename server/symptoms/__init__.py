"""The symptom checker of the earlier API (`POST /api/symptoms/`): a random forest and its model card.

- dataset.py: the committed CSV (training_data/, with its provenance) and the feature encoding;
- evaluation.py: repeated stratified cross-validation beside a majority-class baseline;
- card.py: the model card (JSON and markdown); store.py: verified save and load (skops);
- train.py: `python -m server.symptoms.train`, and load-or-train for the server's start;
- predict.py: inputs from the request or the patient's profile, and the ranking;
- service.py: SymptomChecker, who may ask for whom, and the answer.

Nothing is imported here, so `python -m server.symptoms.train` runs without loading the service.
"""
