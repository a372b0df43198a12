"""`python -m bot.jobs`: the scheduler alone (what `recbot serve` starts beside the server)."""

from bot.jobs.service import main

main()
