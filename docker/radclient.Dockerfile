# radclient (freeradius-utils) with the project's dictionaries and the seed's requests, to check
# the server from a third container exactly as an admin would.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends freeradius-utils \
 && rm -rf /var/lib/apt/lists/*
COPY dictionaries /etc/vutlan/dictionaries
COPY docker/config/radclient /etc/vutlan/requests
COPY docker/radclient-check.sh /usr/local/bin/radclient-check
RUN chmod 0755 /usr/local/bin/radclient-check
USER nobody
CMD ["radclient-check"]
