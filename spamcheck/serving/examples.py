"""The project's own two test messages, one ham and one spam (the article shows its test only as a
picture). Tests, the benchmark and the export's probes use these; the notebooks write them out
for the reader."""

HAM = "Hey, are we still on for lunch tomorrow?"
SPAM = "URGENT! You have WON a £1000 prize. Call 09061701461 to claim"
