"""Local HTTP servers that play X, the Facebook Graph API and feed hosts, for tests and benchmarks.

- ``FakeXServer`` (x_api): X API v2 for tweepy.Client, OAuth 1.0a checked; it counts tweets and finds URLs with
  ``twitter_text``, its own implementation of twitter-text's rules (never the bot's).
- ``FakeGraphServer`` (graph_api): Graph API for facebook-sdk's GraphAPI, page token checked.
- ``FeedServer`` (feed_server): feeds with ETag/Last-Modified/gzip/redirects/slow/huge responses.
- ``redirect_session`` (redirect): point a requests.Session's public host at one of them.

Each is a real server on 127.0.0.1 (random port) in a daemon thread; use it as a context manager::

    with FakeXServer(ck, cs, at, ats) as x:
        client = tweepy.Client(consumer_key=ck, consumer_secret=cs, access_token=at, access_token_secret=ats)
        redirect_session(client.session, "https://api.twitter.com", x.url)
        client.create_tweet(text="hello")
        assert x.tweets[0]["text"] == "hello"
"""
