"""The read-only web view under `/`: sign-in by a link from chat, then tickets, requests for assistance,
the map, on-call and regulatory clocks, server-rendered from the same domain services chat uses."""
