"""Settings: one validated object read from ``LEDGERLENS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Runtime settings; secrets come from the environment, never from code."""

    model_config = SettingsConfigDict(env_prefix="LEDGERLENS_", extra="ignore")

    env: Literal["dev", "test", "prod"] = Field(
        default="prod", description="Deployment environment; 'dev' relaxes secret checks."
    )
    tenant_id: str = Field(default="synthetic", description="Default tenant id.")
    out_dir: Path = Field(default=Path("out"), description="Where jobs write their results.")
    pseudonymization_key: SecretStr | None = Field(
        default=None, description="Key of the HMAC that pseudonymizes customer and account ids."
    )


def get_settings() -> Settings:
    """Read the settings from the environment (fresh each call, so tests can set variables)."""
    return Settings()
