# The bot in a small image: the app installed non-editable from the lock file (requirements.txt), run as a
# non-root user. Not built on the development machines (no container engine there): its install steps are
# tested in a clean venv instead (tests/test_deploy.py). Build and run: see README "A container".
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/bot
COPY pyproject.toml README.md requirements.txt ./
COPY bot ./bot
RUN /opt/bot/bin/pip install --no-cache-dir -r requirements.txt

FROM python:3.11-slim
# Only the venv and the config travel: no compiler, no source tree, no pip cache.
COPY --from=build /opt/bot /opt/bot
COPY config /app/config
# The repository's config names the bundled sample feed beside it (only ever shown, never sent).
COPY bot/data /app/bot/data
COPY deploy/entrypoint.sh /usr/local/bin/bot-entrypoint
RUN useradd --system --uid 10001 --home-dir /app bot && chmod 0755 /usr/local/bin/bot-entrypoint
ENV PATH=/opt/bot/bin:$PATH PYTHONUNBUFFERED=1 PORT=8080
WORKDIR /app
USER bot
# The worker is healthy while it can read its database; the web page while it answers.
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s CMD ["bot-entrypoint", "healthcheck"]
ENTRYPOINT ["bot-entrypoint"]
CMD ["worker"]
