"""``xiaowu-booth audio-devices``: the ALSA PCMs a booth can use for ``--mic`` and ``--speaker``.

The lists come from ``arecord -L`` and ``aplay -L`` (Debian package
alsa-utils), which read the same ALSA configuration as the booth (with
``ALSA_CONFIG_DIR`` set as :func:`~booth_client.audio_common.alsa_environment`
sets it). Without alsa-utils the command says so and exits 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass

from booth_client.audio_common import alsa_environment

__all__ = ["AlsaPcm", "audio_devices_command", "list_pcms", "parse_pcm_list"]


@dataclass(frozen=True)
class AlsaPcm:
    """One PCM as ``aplay -L`` shows it: the name to pass, and what it is."""

    name: str
    description: str


def parse_pcm_list(text: str) -> list[AlsaPcm]:
    """Parse ``aplay -L`` / ``arecord -L``: a name at the start of a line, its description
    on the indented lines after it (joined with " / ")."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            if out:
                out[-1][1].append(line.strip())
        else:
            out.append((line.strip(), []))
    return [AlsaPcm(name, " / ".join(lines)) for name, lines in out]


def list_pcms(capture: bool, timeout_s: float = 10.0) -> list[AlsaPcm] | None:
    """Capture (``arecord -L``) or playback (``aplay -L``) PCMs; ``None`` without alsa-utils."""
    tool = shutil.which("arecord" if capture else "aplay")
    if tool is None:
        return None
    alsa_environment()
    done = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    return parse_pcm_list(done.stdout)


def audio_devices_command(args: argparse.Namespace) -> int:
    """Print the capture and playback PCMs (``--json``: one object). Exit 1 without alsa-utils."""
    capture, playback = list_pcms(True), list_pcms(False)
    if capture is None or playback is None:
        message = ("alsa-utils is not installed (no arecord / aplay), so the ALSA devices "
                   "cannot be listed: install the Debian package alsa-utils")
        if args.json:
            print(json.dumps({"error": "no_alsa_utils", "message": message}))
        else:
            print(f"xiaowu-booth: {message}")
        return 1
    if args.json:
        print(json.dumps({"capture": [asdict(p) for p in capture],
                          "playback": [asdict(p) for p in playback]}, ensure_ascii=False))
        return 0
    for title, pcms, option in (("Microphones (capture)", capture, "--mic"),
                                ("Speakers (playback)", playback, "--speaker")):
        print(f"{title}: pass the name to {option}")
        for pcm in pcms:
            print(f"  {pcm.name}")
            if pcm.description:
                print(f"      {pcm.description}")
        if not pcms:
            print("  (none)")
    return 0
