"""Where the bot may connect: the policy (`policy`, pure) and its enforcement on requests (`session`)."""
