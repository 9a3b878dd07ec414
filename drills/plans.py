"""How long and how hard each drill runs: at full length (`make drill`) and bounded (`make test`)."""

FULL = {
    "fuzz": {"max_examples": 200},  # about 2,500 requests
    "kill_worker": {"seconds": 10, "connections": 16},
    "graceful_stop": {},
    "graceful_stop_container": {},
    "tampered": {},
    "soak": {"seconds": 180, "connections": 8, "warmup": 30},
    "long_words": {"requests": 60, "warmup": 4},  # 74 bodies of about 2 MB
}
QUICK = {  # what tests/test_drills.py runs
    "fuzz": {"max_examples": 5},
    "kill_worker": {"seconds": 3, "connections": 16},
    "graceful_stop": {"before_signal": 1},
    "graceful_stop_container": {"before_signal": 1},
    "tampered": {"only": ["model.npz changed", "card's hash wrong"]},
    "soak": {"seconds": 3, "connections": 8, "warmup": 1, "every": 0.5},
    "long_words": {"requests": 10, "warmup": 2},
}
