"""The Cloudflare-compatible management API (`/client/v4/accounts/{account}/ai-gateway/...`)."""
