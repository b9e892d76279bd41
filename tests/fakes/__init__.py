"""Local HTTP servers that play X, the Facebook Graph API and feed hosts, for tests and benchmarks.

- ``FakeXServer`` (x_api): X API v2 for tweepy.Client, OAuth 1.0a checked.
- ``FakeGraphServer`` (graph_api): Graph API for facebook-sdk's GraphAPI, page token checked.
- ``FeedServer`` (feed_server): feeds with ETag/Last-Modified/gzip/redirects/slow/huge responses.
- ``redirect_session`` (redirect): point a requests.Session's public host at one of them.
"""
