"""Screenshots of n8n's editor with the exported Odoo node, for docs/n8n.md: the model list the
picker fills as the user types, and the chosen model's own form in the resource mapper.

    python -m tests.n8n_editor            # writes docs/images/n8n-*.png

A real n8n (tests/n8n_host.py), a real ``odoo-connector serve`` and the fake Odoo; Debian's
Chromium (/usr/bin/chromium) driven by Playwright, never a downloaded browser."""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.fakes.odoo import API_KEY, DATABASE
from tests.fakes.server import serve_transport
from tests.n8n_host import install
from tests.test_n8n import create_contact_flow, fake_odoo, host

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ID = "odoo-connector-tests"  # the header tests/n8n_host.py signs in with


def main() -> int:
    odoo = fake_odoo()
    odoo.create("res.partner", name="Ada Lovelace", email="ada@example.com")
    with ExitStack() as stack:
        url = stack.enter_context(serve_transport(odoo))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        connection = {"type": "odooApiKey", "baseUrl": url, "database": DATABASE, "apiKey": API_KEY}
        wired = host(stack, tmp, install(), {"odooApiKey": connection})
        flow = create_contact_flow()
        wired.n8n.import_workflow(flow)
        rest = stack.enter_context(wired.n8n.started())
        base = f"http://127.0.0.1:{wired.n8n.port}"
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        # signed in as the REST client is: its cookie, and the browser id its token was made for
        context = browser.new_context(viewport={"width": 1500, "height": 950})
        context.add_cookies([{"name": "n8n-auth", "value": rest.cookies["n8n-auth"], "url": base}])
        context.add_init_script(f"localStorage.setItem('n8n-browserId', '{BROWSER_ID}')")
        page = context.new_page()
        page.goto(f"{base}/workflow/{flow['id']}")
        IMAGES.mkdir(parents=True, exist_ok=True)
        label = page.get_by_text("Create contact").first
        label.wait_for(timeout=60000)
        box = label.bounding_box()
        assert box is not None
        page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] - 50)  # the node, above its name
        page.get_by_text("Country Id").first.wait_for(timeout=60000)  # the model's form, drawn
        page.wait_for_timeout(1500)
        page.screenshot(path=str(IMAGES / "n8n-model-form.png"))
        page.locator("[data-test-id='rlc-input']").first.click()
        page.locator("[data-test-id='rlc-item']").filter(has_text="crm.lead").first.wait_for(timeout=60000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(IMAGES / "n8n-model-list.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
