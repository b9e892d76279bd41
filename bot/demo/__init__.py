"""`bot demo`: the whole path, offline, in a minute, for someone with no accounts.

Local stand-ins of the networks (bot.demo.standins) receive real posts from the real clients; a local server
serves the bundled sample feed (over HTTP, so it is not the file the sandbox keeps in dry-run); the bot runs
once for real against them (bot.demo.run), and what each network received is printed. Nothing leaves this
machine. The stand-ins answer the calls a successful post makes, as the networks document them; they are not
the strict fakes of the test suite (tests/fakes), which also play every refusal and outage.
"""
