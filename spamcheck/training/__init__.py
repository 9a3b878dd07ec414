"""Training: download and parse the data, the candidate models, the evaluation, and the export of
the fitted model as the files the serving layer loads. Used by notebooks 02 and 07 and the tests."""
