"""The leads' chart as a Slack file: drawn and uploaded once per change, then shown by id.

Image blocks take an uploaded file (`slack_file: {"id": ...}`), so the PNG goes up with the
v2 upload (files.getUploadURLExternal, the POST, files.completeUploadExternal; needs the
`files:write` scope) without a channel: only the app can see the file, and the app is what
posts the blocks. The file id is kept in memory, per Slack client and per period, so opening
the Home tab again uploads nothing while the chart would look the same; a restarted process
uploads once more. The chart is the same aggregate for every lead, so sharing it leaks no one's
data. Superseded uploads are deleted, all but the last one, which a lead's open Home tab may
still show.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.charts.figures import ChartData, ChartsUnavailable, alt_text, render_png
from bot.slack.context import now

log = logging.getLogger(__name__)

# Data that changes by the minute is drawn again at most this often: the text beside the chart
# is always fresh, and the image says when it was drawn.
MIN_REDRAW = timedelta(minutes=10)


@dataclass(frozen=True)
class ChartFile:
    file_id: str
    drawn_at: datetime
    data: ChartData


class ChartFiles:
    """The uploaded chart for each period, drawn again only when what it shows has changed
    (and not more often than `min_redraw`)."""

    def __init__(
        self,
        client: WebClient,
        clock: Callable[[], datetime] = now,
        render: Callable[[ChartData], bytes] = render_png,
        min_redraw: timedelta = MIN_REDRAW,
    ) -> None:
        self.client = client
        self.clock = clock
        self.render = render
        self.min_redraw = min_redraw
        self._latest: dict[str, ChartFile] = {}
        self._superseded: deque[str] = deque()
        # One upload at a time: two leads opening the tab together upload one file.
        self._lock = threading.Lock()

    def chart(self, period: str, data: ChartData) -> ChartFile | None:
        """The file showing `data` for `period` ("7d", ...), uploaded now if needed; None when
        charts cannot be drawn here or the first upload failed (the text stands alone then)."""
        with self._lock:
            current = self._latest.get(period)
            at = self.clock()
            if current is not None and (current.data == data
                                        or at - current.drawn_at < self.min_redraw):  # fmt: skip
                return current
            try:
                png = self.render(data)
            except ChartsUnavailable as missing:
                log.info("leads' summary without a chart: %s", missing)
                return None
            try:
                response = self.client.files_upload_v2(
                    content=png,
                    filename=f"lifecycle-{period}.png",
                    title=data.title,
                    alt_txt=alt_text(data)[:1000],
                )
                file_id = str(response["file"]["id"])
            except Exception:  # noqa: BLE001 - a missing chart must not stop the summary
                log.warning("could not upload the leads' chart; showing %s",
                            "the previous one" if current else "the text alone",
                            exc_info=True)  # fmt: skip
                return current
            self._latest[period] = ChartFile(file_id, at, data)
            if current is not None:
                self._retire(current.file_id)
            return self._latest[period]

    def forget(self, period: str) -> None:
        """Drop the period's file (Slack refused to show it): the next view uploads anew."""
        with self._lock:
            refused = self._latest.pop(period, None)
            if refused is not None:
                self._retire(refused.file_id)

    def _retire(self, file_id: str) -> None:
        self._superseded.append(file_id)
        while len(self._superseded) > 1:
            old = self._superseded.popleft()
            try:
                self.client.files_delete(file=old)
            except SlackClientError as failed:  # a file left behind harms no one
                log.info("could not delete the old chart %s: %s", old, failed)


# One cache per Slack client (per app), kept as long as the client lives.
_caches: WeakKeyDictionary[WebClient, ChartFiles] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def chart_files(client: WebClient) -> ChartFiles:
    """The chart cache of the app that talks through `client`."""
    with _caches_lock:
        cache = _caches.get(client)
        if cache is None:
            cache = _caches[client] = ChartFiles(client)
        return cache

