"""aigw: an AI gateway that keeps Cloudflare AI Gateway's wire contract, in your own AWS account."""

__version__ = "0.1.0"
