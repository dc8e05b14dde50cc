# ruff: noqa: F811  (the browser fixture is imported from test_browser.py)
"""Issue #18's browser journey against a real guest: Debian's headless
Chromium (Selenium + chromium-driver) through the dashboard of an
``iaas-all`` whose compute host runs ``compute_driver = libvirt`` (the
busybox test image under libvirtd, TCG).

Sign up → log in → upload the test image from the browser (streamed, with
the progress bar) → launch an instance → the list shows ACTIVE without a
reload → the serial console (xterm.js over iaas-serialproxy) shows the
image's ``IAAS-TEST-IMAGE-BOOTED`` line with the server's uuid → a typed
command's output → stop and start (checked on the libvirt domain) → log
out. Key pairs, security groups and object storage are covered by the fake
driver's journey (tests/functional/dashboard/test_browser.py). Every page
is saved as a PNG under the test's tmp dir (the path is printed); the
domain is destroyed and undefined even when the test fails (guest_env)."""
import os
import re
import shutil
import uuid

import pytest

from tests.functional.dashboard.test_browser import (  # noqa: F401 (browser: fixture)
    Shots,
    _status_of,
    browser,
    heading,
)
from tests.fuzz.conftest import AllInOne
from tests.probe.compute.helpers import deadline_poll
from tests.probe.libvirt import conftest as lv

MARKER, libvirt = lv.MARKER, lv.libvirt
# the libvirt probes' fixtures (tests/probe/libvirt/conftest.py), used by name
libvirtd_running, libvirtd, guest_env, test_image = \
    lv.libvirtd_running, lv.libvirtd, lv.guest_env, lv.test_image

pytestmark = pytest.mark.slow

CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM = '/usr/bin/chromium'
BOOT = 180          # TCG under a loaded CI machine: 60–90 s is common
PASSWORD = 'journey-secret-1'

webdriver = pytest.importorskip('selenium.webdriver')
if not (os.path.exists(CHROMEDRIVER) and shutil.which(CHROMIUM)):
    pytest.skip('chromium and chromium-driver are not installed (tools/setup.sh)',
                allow_module_level=True)

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def real_cloud(tmp_path, guest_env, test_image):
    (tmp_path / 'cloud').mkdir()
    aio = AllInOne(tmp_path / 'cloud', sections={
        'compute': {'compute_driver': 'libvirt', 'instances_path': guest_env.instances_path,
                    'max_concurrent_builds': 1, 'shutdown_timeout': 60},
        'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0},
        'serial_console': {'enabled': True, 'serialproxy_host': '127.0.0.1',
                           'proxyclient_address': '127.0.0.1'},
        'identity': {'allow_signup': True},
        'dashboard': {'poll_interval': 1}})
    try:
        aio.wait_ready()
        yield aio
    finally:
        aio.stop()
        print(f'\niaas-all output: {aio.log_path}')


def _refusal(driver):
    """'refused: <message>' when the page shows an error message."""
    errors = driver.find_elements(By.CSS_SELECTOR, '.flash.error')
    return f'refused: {errors[0].text}' if errors else None


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
    """The terminal's visible screen, wrapped rows joined."""
    rows = browser.find_elements(By.CSS_SELECTOR, '.xterm-rows')
    try:
        return rows[0].text.replace('\n', '') if rows else ''
    except StaleElementReferenceException:
        return ''


def _type(browser, text):
    browser.find_element(By.CSS_SELECTOR, '.xterm-helper-textarea').send_keys(text)


def _until_shown(browser, pattern, command, timeout, what):
    """Type ``command`` (again every 10 s: the shell may not be up yet) until
    ``pattern`` shows on the terminal; the match."""
    state = {'next': 0.0, 'n': 0}

    def seen():
        m = re.search(pattern, _terminal_text(browser))
        if m:
            return m
        state['n'] += 1
        if state['n'] % 20 == 1:      # every 10 s at 0.5 s polls
            _type(browser, Keys.ENTER + command + Keys.ENTER)
        return None
    return deadline_poll(seen, timeout, 0.5, what=what)


def _page_status(browser, base, sid):
    browser.get(f'{base}/instances/{sid}')
    return browser.find_element(By.CSS_SELECTOR, 'dd .status').text


def test_real_guest_browser_journey(real_cloud, guest_env, test_image, browser, tmp_path):
    base = f'http://127.0.0.1:{real_cloud.ports["dashboard"]}'
    shots = Shots(browser, tmp_path / 'screenshots')
    print(f'\ndashboard screenshots: {shots.folder}')
    # a small flavor for the busybox guest (a member cannot make one)
    from tests.fuzz.conftest import FuzzCloud
    api = FuzzCloud(real_cloud)
    api.admin('compute', 'POST', '/v2.1/flavors', expect=200, json={'flavor': {
        'name': 'probe.nano', 'ram': 128, 'disk': 1, 'vcpus': 1}})
    name = f'journey-{uuid.uuid4().hex[:8]}'

    # sign up, log in
    browser.get(base + '/signup')
    browser.find_element(By.ID, 'username').send_keys(name)
    browser.find_element(By.ID, 'password').send_keys(PASSWORD)
    browser.find_element(By.ID, 'password2').send_keys(PASSWORD)
    shots.take('signup')
    browser.find_element(By.CSS_SELECTOR, 'form[action="/signup"] button').click()
    deadline_poll(lambda: 'Your account is ready' in browser.page_source, 30,
                  what='account made')
    shots.take('signed-up')
    browser.find_element(By.ID, 'username').send_keys(name)
    browser.find_element(By.ID, 'password').send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, 'form[action="/login"] button').click()
    deadline_poll(lambda: 'Overview' in heading(browser), 30, what='overview')
    shots.take('overview')

    # upload the test image from the browser (streamed: far over the form limit)
    browser.find_element(By.LINK_TEXT, 'Images').click()
    browser.find_element(By.ID, 'image-name').send_keys('busybox')
    Select(browser.find_element(By.ID, 'image-disk-format')).select_by_value('qcow2')
    Select(browser.find_element(By.ID, 'image-container-format')).select_by_value('bare')
    browser.find_element(By.CSS_SELECTOR, 'form[data-stream-action] input[type=file]'
                         ).send_keys(test_image)
    browser.find_element(By.CSS_SELECTOR, 'form[data-stream-action] button[type=submit]'
                         ).click()
    deadline_poll(lambda: 'Image busybox uploaded.' in browser.page_source, 120, 0.2,
                  what='image uploaded')
    shots.take('image-uploaded')

    # launch: the list shows ACTIVE without a reload (htmx polls the rows)
    browser.find_element(By.LINK_TEXT, 'Instances').click()
    browser.find_element(By.LINK_TEXT, 'Launch instance').click()
    browser.find_element(By.ID, 'name').send_keys('vm1')
    Select(browser.find_element(By.ID, 'image')).select_by_index(1)
    assert 'busybox' in Select(browser.find_element(By.ID, 'image')
                               ).first_selected_option.text
    flavor = browser.find_element(By.XPATH, '//label[text()="probe.nano"]')
    browser.find_element(By.ID, flavor.get_attribute('for')).click()
    for box in browser.find_elements(By.CSS_SELECTOR, 'input[name=security_groups]'):
        if box.is_selected():      # no NIC here: no port to put a group on
            box.click()
    shots.take('launch-form')
    browser.find_element(By.CSS_SELECTOR, 'form[action="/instances"] button[type=submit]'
                         ).click()
    shown = deadline_poll(lambda: _refusal(browser) or _status_of(browser, 'vm1'), 30,
                          what='row shown')
    assert not shown.startswith('refused'), shown
    shots.take('instances-building')
    browser.execute_script('document.body.dataset.marker = "same-page"')
    deadline_poll(lambda: _status_of(browser, 'vm1') in ('ACTIVE', 'ERROR'), 300, 0.5,
                  what='ACTIVE without a reload')
    assert _status_of(browser, 'vm1') == 'ACTIVE', real_cloud.log()[-4000:]
    assert browser.execute_script('return document.body.dataset.marker') == 'same-page'
    shots.take('instances-active')
    href = browser.find_element(By.LINK_TEXT, 'vm1').get_attribute('href')
    sid = href.rstrip('/').rsplit('/', 1)[1]
    assert sid in guest_env.domains()
    assert guest_env.state(sid) == libvirt.VIR_DOMAIN_RUNNING

    # the serial console: the boot line with the uuid, then a command's output
    _click(browser, 'a[aria-label="Console of vm1"]')
    deadline_poll(lambda: browser.find_elements(By.CSS_SELECTOR, '.xterm-helper-textarea'),
                  30, what='terminal')
    deadline_poll(lambda: 'Connected' in browser.find_element(By.ID, 'console-status').text,
                  30, what='websocket connected')
    _until_shown(browser, rf'{MARKER} uuid={sid}', 'cat /iaas-boot-line', BOOT,
                 'boot line on the console')
    shots.take('console-booted')
    _type(browser, 'echo hi-$((6*7))' + Keys.ENTER)
    deadline_poll(lambda: 'hi-42' in _terminal_text(browser), 60, 0.5,
                  what='command output')
    shots.take('console-command')

    # stop and start from the instance page
    browser.get(f'{base}/instances/{sid}')
    _click(browser, f'form[action="/instances/{sid}/action"] input[value=stop] ~ button')
    deadline_poll(lambda: _page_status(browser, base, sid) == 'SHUTOFF', 180, 1,
                  what='SHUTOFF')
    assert guest_env.state(sid) == libvirt.VIR_DOMAIN_SHUTOFF
    shots.take('instance-stopped')
    _click(browser, f'form[action="/instances/{sid}/action"] input[value=start] ~ button')
    deadline_poll(lambda: _page_status(browser, base, sid) == 'ACTIVE', 180, 1,
                  what='ACTIVE again')
    assert guest_env.state(sid) == libvirt.VIR_DOMAIN_RUNNING
    deadline_poll(lambda: re.search(rf'{MARKER} uuid={sid} .*boot=2',
                                    guest_env.console(sid)), BOOT, 1, what='second boot')
    shots.take('instance-started')

    browser.find_element(By.CSS_SELECTOR, 'form[action="/logout"] button').click()
    deadline_poll(lambda: '/login' in browser.current_url, 20, what='logged out')
    shots.take('logged-out')
    assert 'You are logged out.' in browser.page_source
    errors = [e for e in browser.get_log('browser') if e.get('level') == 'SEVERE']
    assert not errors, errors
