"""The dashboard in a real browser: Debian's headless Chromium driven by
Selenium through Debian's chromedriver (tools/setup.sh installs both).

Log in, launch an instance, see ACTIVE appear in the list without a reload
(htmx polling), stop it, see SHUTOFF, create a key pair, log out. Every page
visited is saved as a PNG under the test's tmp dir (the path is printed).
The browser's console must stay free of errors (a CSP violation would show
there)."""
import os
import shutil

import pytest

from tests.probe.compute.helpers import deadline_poll

CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM = '/usr/bin/chromium'

webdriver = pytest.importorskip('selenium.webdriver')
if not (os.path.exists(CHROMEDRIVER) and shutil.which(CHROMIUM)):
    pytest.skip('chromium and chromium-driver are not installed (tools/setup.sh)',
                allow_module_level=True)

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1024,800'):
        opts.add_argument(arg)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER,
                                      log_output=str(tmp_path / 'chromedriver.log'))
    driver = webdriver.Chrome(options=opts, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def heading(browser):
    """The page's h1 text ('' while the next page replaces it)."""
    try:
        return ' '.join(h.text for h in browser.find_elements(By.TAG_NAME, 'h1'))
    except WebDriverException:      # stale: the page went away under us
        return ''


class Shots:
    def __init__(self, driver, folder):
        self.driver, self.folder, self.n = driver, folder, 0
        folder.mkdir(exist_ok=True)

    def take(self, name):
        self.n += 1
        path = self.folder / f'{self.n:02d}-{name}.png'
        # The whole page, not only the window.
        height = self.driver.execute_script('return document.documentElement.scrollHeight')
        self.driver.set_window_size(1024, max(800, min(height + 100, 3000)))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1024, 800)
        return path


def _status_of(driver, name):
    """The status shown for instance ``name`` (None while htmx swaps the rows)."""
    try:
        for row in driver.find_elements(By.CSS_SELECTOR, '#instance-rows tr'):
            if row.find_elements(By.LINK_TEXT, name):
                return row.find_element(By.CSS_SELECTOR, '.status').text
    except StaleElementReferenceException:
        pass
    return None


def _volume_status(driver, name):
    """The status shown for volume ``name`` (None while htmx swaps the rows)."""
    try:
        for row in driver.find_elements(By.CSS_SELECTOR, '#volume-rows tr'):
            if row.find_elements(By.XPATH, f'td[1][text()="{name}"]'):
                return row.find_element(By.CSS_SELECTOR, '.status').text
    except StaleElementReferenceException:
        pass
    return None


def _click(driver, selector):
    """Click ``selector``, again if htmx replaced it meanwhile."""
    def click():
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return True
        except StaleElementReferenceException:
            return False
    deadline_poll(click, 10, 0.1, what=f'click {selector}')


def _terminal_text(browser):
    rows = browser.find_elements(By.CSS_SELECTOR, '.xterm-rows')
    try:
        return rows[0].text if rows else ''
    except StaleElementReferenceException:
        return ''


def test_browser_journey(dash_cloud, user, browser, tmp_path):
    shots = Shots(browser, tmp_path / 'screenshots')
    base = dash_cloud.base
    browser.get(base + '/')
    assert browser.current_url.startswith(base + '/login')
    shots.take('login')
    browser.find_element(By.LINK_TEXT, 'Sign up').click()
    shots.take('signup')
    browser.find_element(By.LINK_TEXT, 'Log in').click()
    browser.find_element(By.ID, 'username').send_keys(user.name)
    browser.find_element(By.ID, 'password').send_keys('fuzz-user-secret-1')
    browser.find_element(By.CSS_SELECTOR, 'form[action="/login"] button').click()
    deadline_poll(lambda: 'Overview' in heading(browser), 20, what='overview')
    shots.take('overview')

    browser.find_element(By.LINK_TEXT, 'Key pairs').click()
    browser.find_element(By.ID, 'new-name').send_keys('browser-key')
    browser.find_element(By.ID, 'new-name').submit()
    deadline_poll(lambda: 'PRIVATE KEY' in browser.find_element(By.ID, 'private-key')
                  .get_attribute('value'), 20, what='private key shown')
    shots.take('keypair-created')
    browser.find_element(By.LINK_TEXT, 'Back to key pairs').click()
    shots.take('keypairs')

    browser.find_element(By.LINK_TEXT, 'Instances').click()
    shots.take('instances-empty')
    browser.find_element(By.LINK_TEXT, 'Launch instance').click()
    browser.find_element(By.ID, 'name').send_keys('browser-vm')
    Select(browser.find_element(By.ID, 'image')).select_by_value(user.resources['image_id'])
    Select(browser.find_element(By.ID, 'network')).select_by_value(
        user.resources['network_id'])
    Select(browser.find_element(By.ID, 'key_name')).select_by_visible_text('browser-key')
    shots.take('launch-form')
    browser.find_element(By.CSS_SELECTOR, 'form[action="/instances"] button[type=submit]'
                         ).click()
    deadline_poll(lambda: _status_of(browser, 'browser-vm'), 20, what='row shown')
    shots.take('instances-building')
    # The same document all along: a marker set now survives only if the page
    # is never reloaded while htmx swaps the rows.
    browser.execute_script('document.body.dataset.marker = "same-page"')
    deadline_poll(lambda: _status_of(browser, 'browser-vm') == 'ACTIVE', 60,
                  what='ACTIVE without a reload')
    assert browser.execute_script('return document.body.dataset.marker') == 'same-page'
    shots.take('instances-active')

    # The serial console: xterm.js over the proxy's websocket (the fake
    # guest greets and echoes)
    _click(browser, 'a[aria-label="Console of browser-vm"]')
    deadline_poll(lambda: 'IAAS-TEST-IMAGE-BOOTED' in _terminal_text(browser), 20,
                  what='console banner')
    browser.find_element(By.CSS_SELECTOR, '.xterm-helper-textarea').send_keys('hi-browser')
    deadline_poll(lambda: 'hi-browser' in _terminal_text(browser), 20, what='echo')
    shots.take('console')
    browser.find_element(By.LINK_TEXT, 'Instances').click()

    _click(browser, 'button[aria-label="Stop browser-vm"]')
    deadline_poll(lambda: _status_of(browser, 'browser-vm') == 'SHUTOFF', 60,
                  what='SHUTOFF')
    shots.take('instances-stopped')

    _click(browser, '#instance-rows a[href^="/instances/"]')
    shots.take('instance-detail')
    browser.find_element(By.LINK_TEXT, 'Images').click()
    shots.take('images')
    browser.find_element(By.LINK_TEXT, 'Volumes').click()
    browser.find_element(By.ID, 'vol-name').send_keys('browser-vol')
    browser.find_element(By.CSS_SELECTOR, 'form[action="/volumes"] button').click()
    deadline_poll(lambda: _volume_status(browser, 'browser-vol') == 'available', 60,
                  what='volume available')
    shots.take('volumes')
    browser.find_element(By.LINK_TEXT, 'Usage').click()
    assert browser.find_elements(By.CSS_SELECTOR, 'svg.chart title')
    shots.take('usage')
    browser.find_element(By.LINK_TEXT, 'API credentials').click()
    shots.take('credentials')
    _network_rule(browser)
    shots.take('network')
    _stream_uploads(browser, base, shots, tmp_path)
    browser.get(base + '/instances/00000000-0000-0000-0000-000000000000')
    assert 'Not Found' in browser.find_element(By.TAG_NAME, 'h1').text
    shots.take('not-found')
    browser.back()

    browser.find_element(By.CSS_SELECTOR, 'form[action="/logout"] button').click()
    deadline_poll(lambda: '/login' in browser.current_url, 20, what='logged out')
    shots.take('logged-out')
    assert 'You are logged out.' in browser.page_source

    errors = [e for e in browser.get_log('browser') if e.get('level') == 'SEVERE'
              and '/instances/00000000-' not in e.get('message', '')]   # the 404 asked for
    assert not errors, errors
    print(f'\ndashboard screenshots: {shots.folder}')


def _upload(browser, path, flash):
    """Send the page's streamed-upload form with ``path``: far over the form
    limit, so only the script's streamed upload (progress bar) gets through."""
    browser.find_element(By.CSS_SELECTOR, 'form[data-stream-action] input[type=file]'
                         ).send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, 'form[data-stream-action] button[type=submit]'
                         ).click()
    seen = []

    def finished():
        done = browser.find_elements(By.CSS_SELECTOR, 'form[data-upload-state="done"] progress')
        try:
            if done and done[0].get_attribute('value') == done[0].get_attribute('max'):
                seen.append(True)
        except WebDriverException:     # stale, or gone with the page the upload left
            pass
        return flash in browser.page_source
    deadline_poll(finished, 30, 0.05, what=flash)
    return seen


def _network_rule(browser):
    """The network page: allow ssh (tcp 22 from anywhere) in 'default'."""
    browser.find_element(By.LINK_TEXT, 'Network').click()
    group = browser.find_element(By.CSS_SELECTOR, 'section[id^="group-"]')
    assert group.find_element(By.TAG_NAME, 'h3').text.startswith('default')
    gid = group.get_attribute('id')[len('group-'):]
    Select(browser.find_element(By.ID, f'rule-{gid}-protocol')).select_by_value('tcp')
    browser.find_element(By.ID, f'rule-{gid}-min').send_keys('22')
    browser.find_element(By.ID, f'rule-{gid}-max').send_keys('22')
    browser.find_element(By.ID, f'rule-{gid}-remote').send_keys('0.0.0.0/0')
    browser.find_element(By.ID, f'rule-{gid}-remote').submit()
    deadline_poll(lambda: 'Rule added to default.' in browser.page_source, 20,
                  what='rule added')
    rows = [r.text for r in browser.find_elements(
        By.CSS_SELECTOR, f'#group-{gid} tbody tr')]
    assert any(r.split() == ['ingress', 'IPv4', 'tcp', '22', '0.0.0.0/0', 'Delete']
               for r in rows), rows


def _stream_uploads(browser, base, shots, tmp_path):
    data = tmp_path / 'browser.img'
    data.write_bytes(os.urandom(2 * 1024 * 1024))
    browser.find_element(By.LINK_TEXT, 'Images').click()
    browser.find_element(By.ID, 'image-name').send_keys('browser-img')
    _upload(browser, data, 'Image browser-img uploaded.')
    shots.take('image-uploaded')
    browser.find_element(By.LINK_TEXT, 'Object storage').click()
    browser.find_element(By.ID, 'container-name').send_keys('browser-box')
    browser.find_element(By.ID, 'container-name').submit()
    browser.find_element(By.LINK_TEXT, 'browser-box').click()
    _upload(browser, data, 'Object browser.img uploaded.')
    link = browser.find_element(By.LINK_TEXT, 'browser.img').get_attribute('href')
    assert link.startswith(base + '/objects/browser-box/download?name=browser.img')
    shots.take('container')
