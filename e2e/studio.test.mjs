// End to end in a real headless Chromium (Debian's), driven by playwright-core:
// first login with the one-time password, the forced password change, a new
// client, the health questions, the screening on the chart, the consent
// signed on the signature pad, a photo uploaded, the design editor, a quote
// and the consultation report (made, sent, opened logged out), the
// portfolio consent and a before/healed pair, the gallery and its public
// copy, the live client search, and more along the way.
// Run by crates/smp-cli/tests/it.rs, which starts `smp serve` and passes
// SMP_URL, SMP_ADMIN_PASSWORD and SCREENSHOTS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/// Looks at the page as a phone, a tablet in portrait and a desktop would:
/// a screenshot at each width, no sideways scrolling, and no serious or
/// critical accessibility violation (axe-core, run in the page). The
/// viewport is put back afterwards.
async function lookAt(page, name) {
  const before = page.viewportSize();
  for (const width of [390, 820, 1280]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : width === 820 ? 1180 : 900 });
    await page.waitForTimeout(50);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${name} at ${width} px scrolls sideways by ${overflow} px`);
    if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
      await page.addScriptTag({ path: axePath });
    }
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    });
    assert.deepEqual(violations, [], `${name} at ${width} px`);
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(before);
}

const url = process.env.SMP_URL;
const firstPassword = process.env.SMP_ADMIN_PASSWORD;
const shots = process.env.SCREENSHOTS ?? 'e2e-screenshots';

test('a practitioner charts a new client from login to screening', async () => {
  assert.ok(url && firstPassword, 'SMP_URL and SMP_ADMIN_PASSWORD are set by the Rust test');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    // A tablet in landscape, as at the consultation chair.
    // bypassCSP lets the test inject axe-core; the app's own policy is unchanged.
    const page = await browser.newPage({ viewport: { width: 1180, height: 820 }, bypassCSP: true });
    // Every script error on the page fails the test, with its words.
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${url}/clients`);
    assert.match(page.url(), /\/login$/, 'logged out: the login page');
    await lookAt(page, 'a-login');
    await page.fill('#name', 'admin');
    await page.fill('#password', firstPassword);
    await page.screenshot({ path: `${shots}/01-login.png` });
    await page.click('button[type=submit]');

    await page.waitForURL(/\/password$/);
    await page.fill('#current', firstPassword);
    await page.fill('#password', 'my own long password');
    await page.fill('#repeat', 'my own long password');
    await page.screenshot({ path: `${shots}/02-own-password.png` });
    await page.click('button[type=submit]');

    await page.waitForURL(/\/clients$/);
    await page.fill('#full_name', 'Marta Ruiz');
    await page.fill('#birth_date', '1984-03-09');
    await page.fill('#phone', '+34 600 000 000');
    await page.fill('#email', 'marta@example.net');
    await page.click('text=Add the client');
    await page.waitForURL(/\/clients\/[0-9a-f]+$/);
    assert.ok(await page.isVisible('h1:has-text("Marta Ruiz")'));
    await page.screenshot({ path: `${shots}/03-chart.png` });
    await lookAt(page, 'b-chart-new');

    await page.click('text=Record the health questions');
    await page.waitForURL(/\/intake$/);
    await page.check('input[name=allergy_latex]');
    await page.check('input[name=medication_isotretinoin]');
    await page.fill('input[name=medication_isotretinoin_last_dose]', '2026-09-01');
    await page.fill('#consultation_date', '2026-12-01');
    await page.screenshot({ path: `${shots}/04-intake.png`, fullPage: true });
    await lookAt(page, 'c-intake');
    await page.click('text=Screen and save');

    await page.waitForURL(/\/clients\/[0-9a-f]+$/);
    const body = await page.textContent('main');
    assert.match(body, /POSTPONE\s*not before 2027-03-01/);
    assert.match(body, /Allergic to latex/);
    // The standing heads the chart, for every role: status and date.
    assert.match(await page.textContent('#standing'), /Postponed until 1 March 2027/);
    await lookAt(page, 'd-chart-screened');

    // The intake opens with those answers, to correct in place.
    await page.click('text=Health questions');
    await page.waitForURL(/\/intake$/);
    assert.ok(await page.isChecked('input[name=allergy_latex]'), 'the last answers are filled in');
    assert.equal(await page.inputValue('input[name=medication_isotretinoin_last_dose]'), '2026-09-01');
    await page.goto(page.url().replace(/\/intake$/, ''));

    // The client's details corrected: a second phone number, kept in the history.
    await page.click('text=Correct the details');
    await page.waitForURL(/\/details$/);
    await page.fill('#phone', '+34 600 000 001');
    await lookAt(page, 'e-details');
    await page.click('text=Save the details');
    await page.waitForURL(/\/clients\/[0-9a-f]+$/);
    assert.match(await page.textContent('#standing'), /\+34 600 000 001/);
    await page.screenshot({ path: `${shots}/05-screening.png`, fullPage: true });

    // The consent: read, tick, type the name, sign with the pointer.
    await page.click('text=Sign the consent');
    await page.waitForURL(/\/consent$/);
    assert.match(await page.textContent('.consent-text'), /Consent to scalp micropigmentation/);
    await lookAt(page, 'f-consent');
    await page.check('input[name=agree]');
    await page.fill('#signed_name', 'Marta Ruiz');
    await page.locator('#signature-pad').scrollIntoViewIfNeeded();
    const pad = await page.locator('#signature-pad').boundingBox();
    await page.mouse.move(pad.x + 30, pad.y + 120);
    await page.mouse.down();
    for (let i = 0; i <= 40; i++) {
      await page.mouse.move(pad.x + 30 + i * 12, pad.y + 100 + Math.sin(i / 3) * 40);
    }
    await page.mouse.up();
    await page.screenshot({ path: `${shots}/06-consent.png`, fullPage: true });
    await page.click('button.primary-action');
    await page.waitForURL(/\/consents\/[0-9a-f]+$/);
    assert.match(await page.textContent('main'), /In force[\s\S]*Name typed: Marta Ruiz/);
    const signature = await page.locator('img.signature').evaluate((img) => img.complete && img.naturalWidth);
    assert.ok(signature > 0, 'the signature image shows');
    await page.screenshot({ path: `${shots}/07-consent-record.png`, fullPage: true });

    // A photo of the crown, from a file as a tablet's camera would give it.
    await page.click('text=Marta Ruiz');
    await page.selectOption('#angle', 'crown');
    await page.setInputFiles('#photo', process.env.SMP_SCALP_PHOTO ?? fileURLToPath(new URL('../docs/render.jpg', import.meta.url)));
    await page.click('text=Upload the photo');
    await page.waitForURL(/\/clients\/[0-9a-f]+#photos$/);
    const thumb = page.locator('.photos img').first();
    await thumb.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelector('.photos img')?.naturalWidth > 0);
    assert.match(await page.textContent('.photos figcaption'), /crown/);
    assert.match(await page.textContent('#timeline'), /Consent signed[\s\S]*Health screening/);
    await page.screenshot({ path: `${shots}/08-chart-photo-consent.png`, fullPage: true });

    // The design editor on that photo: scale, hairline, zone; the preview
    // follows each change; the stage changes it; a version is saved.
    await page.click('.photos a:has-text("Design on this photo")');
    await page.waitForURL(/\/design$/);
    const overlay = page.locator('#overlay');
    await overlay.scrollIntoViewIfNeeded();
    // Where the photo is now: the page may have scrolled since the last tap.
    const tap = async (fx, fy) => {
      let box = await overlay.boundingBox();
      // A point below the window's edge is scrolled into it first: a
      // click outside the window reaches nothing.
      const below = box.y + box.height * fy - (page.viewportSize().height - 20);
      if (below > 0) {
        await page.evaluate((dy) => window.scrollBy(0, dy), below);
        box = await overlay.boundingBox();
      }
      await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    };
    await tap(0.1, 0.92);
    await tap(0.9, 0.92);
    await page.fill('#scale_mm', '140');
    await page.click('[data-mode=hairline]');
    for (const [fx, fy] of [[0.15, 0.3], [0.35, 0.2], [0.5, 0.17], [0.65, 0.2], [0.85, 0.3]]) await tap(fx, fy);
    await page.click('[data-mode=zone]');
    for (const [fx, fy] of [[0.1, 0.22], [0.9, 0.22], [0.92, 0.85], [0.08, 0.85]]) await tap(fx, fy);
    await page.waitForFunction(() => /updated in/.test(document.getElementById('preview-state').textContent));
    await page.waitForFunction(() => document.getElementById('preview').naturalWidth > 0);
    const firstPreview = await page.locator('#preview').getAttribute('src');
    await page.waitForFunction(() => /looks like type [1-6]/.test(document.getElementById('skin-note').textContent));
    await page.screenshot({ path: `${shots}/10-design-healed.png`, fullPage: true });
    await lookAt(page, 's-design-editor');
    // Too large a dot: the editor says so in words.
    await page.fill('#diameter_mm', '0.8');
    await page.waitForFunction(() => /larger than stubble/.test(document.getElementById('warnings').textContent));
    await page.screenshot({ path: `${shots}/10b-design-warning.png` });
    await page.fill('#diameter_mm', '0.45');
    await page.waitForFunction(() => !/larger than stubble/.test(document.getElementById('warnings').textContent));
    // Each stage's name under the slider stands clear of its neighbours,
    // and a tap on one goes to that stage.
    const ticks = await page.locator('.ticks span').evaluateAll((spans) =>
      spans.map((s) => { const r = s.getBoundingClientRect(); return [r.left, r.right]; }));
    assert.equal(ticks.length, 9);
    for (let i = 1; i < ticks.length; i++) {
      assert.ok(ticks[i][0] >= ticks[i - 1][1], `stage names ${i - 1} and ${i} overlap: ${JSON.stringify(ticks)}`);
    }
    // Waits for the preview to answer the latest change, and returns it.
    const nextPreview = async (before) => {
      await page.waitForFunction((before) => {
        const img = document.getElementById('preview');
        return img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0
          && /updated in/.test(document.getElementById('preview-state').textContent);
      }, before);
      return page.locator('#preview').getAttribute('src');
    };
    await page.click('.ticks span:has-text("5 y")');
    assert.equal(await page.textContent('#stage-label'), '5 years');
    const fiveYears = await nextPreview(firstPreview);
    await page.fill('#stage-slider', '1');
    assert.equal(await page.textContent('#stage-label'), 'Session 1');
    await nextPreview(fiveYears);
    await page.screenshot({ path: `${shots}/11-design-session-1.png`, fullPage: true });
    await page.click('[data-action=undo]');
    await page.click('[data-action=redo]');
    // A second zone, denser, lower down.
    await page.click('[data-action=new-zone]');
    for (const [fx, fy] of [[0.3, 0.62], [0.7, 0.62], [0.7, 0.8], [0.3, 0.8]]) await tap(fx, fy);
    await page.fill('#zone-density', '90');
    assert.match(await page.textContent('#zone-label'), /zone 2 of 2/);
    assert.equal(await page.inputValue('input[name=extra_densities]'), '90');
    await page.waitForFunction(() => /updated in/.test(document.getElementById('preview-state').textContent));
    // A skin sample below the zones: the skin's colour is read there.
    await page.click('[data-mode=skin]');
    for (const [fx, fy] of [[0.45, 0.9], [0.55, 0.9], [0.55, 0.97]]) await tap(fx, fy);

    await page.waitForFunction(() => /skin sample looks like type/.test(document.getElementById('skin-note').textContent));
    assert.equal((await page.inputValue('input[name=skin_region]')).split(' ').length, 3);
    // A hair sample on the side, where the client's own stubble is: its
    // figures appear, and one tap matches the design to them.
    await page.click('[data-mode=hair]');
    for (const [fx, fy] of [[0.81, 0.5], [0.87, 0.5], [0.87, 0.68], [0.81, 0.68]]) await tap(fx, fy);
    await page.waitForFunction(() => /The client's stubble: \d+ hairs/.test(document.getElementById('hair-result').textContent),
      null, { timeout: 30000 });
    await page.screenshot({ path: `${shots}/10c-design-hair-sample.png`, fullPage: true });
    await page.click('#match-hair');
    const suggested = await page.textContent('#hair-result');
    const dot = suggested.match(/dots of ([0-9.]+) mm/)[1];
    assert.equal(await page.inputValue('#diameter_mm'), String(Number(dot)));
    await page.waitForFunction(() => /updated in/.test(document.getElementById('preview-state').textContent));
    // The match is one step back with Undo.
    await page.click('[data-action=undo]');
    assert.equal(await page.inputValue('input[name=extra_densities]'), '90');
    assert.equal(await page.inputValue('#diameter_mm'), '0.45');
    // Longer hair over the scalp: a mask proposed from the photo, a brush
    // stroke of hair over it; the preview keeps what the mask covers.
    await page.click('[data-mode=mask]');
    assert.equal(await page.isVisible('#mask-tools'), true);
    await page.click('#mask-propose');
    await page.waitForFunction(() => /Proposed/.test(document.getElementById('mask-status').textContent),
      null, { timeout: 30000 });
    assert.equal(await page.inputValue('input[name=hair_mask]'), 'proposed');
    const beforeBrush = await page.locator('#preview').getAttribute('src');
    {
      await overlay.scrollIntoViewIfNeeded();
      const box = await overlay.boundingBox();
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.45);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.3 + i * 0.03), box.y + box.height * 0.45);
      await page.mouse.up();
    }
    assert.match(await page.inputValue('input[name=hair_mask_paint]'), /^data:image\/png;base64,/, pageErrors.join('; '));
    await nextPreview(beforeBrush);
    await page.screenshot({ path: `${shots}/10d-design-longer-hair.png`, fullPage: true });
    // Undone and done again, the stroke comes back.
    await page.click('[data-action=undo]');
    assert.equal(await page.inputValue('input[name=hair_mask_paint]'), '');
    await page.click('[data-action=redo]');
    assert.match(await page.inputValue('input[name=hair_mask_paint]'), /^data:image/);
    // Leaving with the drawing unsaved asks first; staying keeps it.
    const prompt = new Promise((resolve) => {
      page.once('dialog', async (d) => { resolve(d.type()); await d.dismiss(); });
      setTimeout(() => resolve('no prompt'), 5000);
    });
    await page.click('main a:has-text("Marta Ruiz")');
    assert.equal(await prompt, 'beforeunload');
    assert.match(page.url(), /\/design$/);
    assert.equal(await page.inputValue('input[name=extra_densities]'), '90');
    await page.click('text=Save as a new version');
    await page.waitForURL(/design=[0-9a-f]+$/);
    const versionUrl = page.url();
    assert.match(await page.textContent('h1'), /version 1/);
    assert.equal((await page.inputValue('input[name=zone]')).split(' ').length, 4, 'the zone came back');
    assert.equal((await page.inputValue('input[name=extra_zones]')).split(' ').length, 4, 'and the second');
    assert.equal(await page.inputValue('input[name=extra_densities]'), '90');
    assert.match(await page.inputValue('input[name=hair_mask]'), /\.hair-[0-9a-f]{32}\.png$/, 'the mask, stored with it');

    // The head measured with a tape: three numbers that fit one head.
    await page.click('text=Marta Ruiz');
    await page.click('a:has-text("Head measurements")');
    await page.fill('#circumference_mm', '549');
    await page.fill('#ear_to_ear_mm', '295');
    await page.fill('#front_to_back_mm', '327');
    await page.click('text=Save the measurements');
    await page.waitForSelector('text=549 · 295 · 327 mm');
    await lookAt(page, 't-head');

    // The scalp assessed: the stage chosen from its drawing.
    await page.click('text=Marta Ruiz');
    await page.click('a:has-text("Assess the scalp")');
    await page.waitForURL(/\/assessment$/);
    await page.click('.pattern-choice:has-text("Norwood 5")');
    await page.selectOption('#condition', 'oily');
    await page.selectOption('#sensitivity', 'normal');
    await page.selectOption('#scar_kind_1', 'fue');
    await page.fill('#scar_mm_1', '40');
    await lookAt(page, 'v-assessment');
    await page.click('text=Save the assessment');
    await page.waitForSelector('#assessments :text("Norwood 5")');
    await page.click('main a:has-text("Marta Ruiz")');
    assert.match(await page.textContent('.assessment-summary'), /Norwood 5 · oily scalp · normal sensitivity · FUE dots scar, 40 mm/);

    // A session with its ink passport, then the client's aftercare link and
    // calendar.
    await page.click('text=Marta Ruiz');
    await page.click('text=Record a session');
    await page.waitForURL(/\/sessions\/new$/);
    await page.fill('#date', '2026-12-01');
    await page.fill('#zones', 'hairline, front');
    await page.fill('#pigment_brand', 'Perma Blend SMP Black');
    await page.fill('#pigment_batch', 'L2311-07');
    await page.fill('#pigment_expiry', '2026-10-31');
    await page.fill('#duration_min', '210');
    await page.fill('#pain', '3');
    await page.click('text=Record the session');
    assert.match(await page.textContent('#pigment_expiry-error'), /expired on 2026-10-31/);
    await page.screenshot({ path: `${shots}/12-session-expired-pigment.png`, fullPage: true });
    await page.fill('#pigment_expiry', '2027-06-30');
    await page.check('input[name=health_unchanged]');
    await page.click('text=Record the session');
    // The screening postponed treatment (isotretinoin): the session is
    // refused with the reason, everything typed kept, until a practitioner
    // says why they go ahead.
    assert.match(await page.textContent('.refusal'), /postpones treatment until 1 March 2027/);
    assert.equal(await page.inputValue('#pigment_batch'), 'L2311-07');
    await page.screenshot({ path: `${shots}/12b-session-refused-by-screening.png`, fullPage: true });
    await lookAt(page, 'g-session-refused');
    await page.fill('#override_reason', 'Dermatologist confirmed the last dose was in 2025; intake corrected next visit');
    await page.click('text=Record the session');
    await page.waitForURL(/\/sessions\/[0-9a-f]+$/);
    assert.match(await page.textContent('main'), /L2311-07[\s\S]*design version 1|design version 1[\s\S]*L2311-07/i);
    await page.click('text=Make an aftercare link');
    await page.waitForURL(/\/sessions\/[0-9a-f]+\?made=1/);
    const link = await page.getAttribute('#aftercare-link', 'href');
    await page.screenshot({ path: `${shots}/13-session-passport.png`, fullPage: true });
    await lookAt(page, 'h-session');
    const sessionUrl = page.url().replace(/\?.*$/, '');
    const client = await browser.newContext({ bypassCSP: true });
    const clientPage = await client.newPage();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/aftercare\/[0-9a-f]{64}$/, 'a whole address to hand over');
    await clientPage.goto(link);
    assert.match(await clientPage.textContent('h1'), /Your SMP aftercare/);
    assert.doesNotMatch(await clientPage.content(), /Marta|L2311/);
    await clientPage.screenshot({ path: `${shots}/14-client-aftercare.png`, fullPage: true });
    await lookAt(clientPage, 'i-client-aftercare');
    const [download] = await Promise.all([clientPage.waitForEvent('download'), clientPage.click('text=Add these dates to your calendar')]);
    assert.equal(download.suggestedFilename(), 'smp-aftercare.ics');
    await client.close();

    // A typo in the batch, amended with a reason: the original stays beside it.
    await page.goto(sessionUrl);
    await page.click('text=Amend this record');
    await page.waitForURL(/\/amend$/);
    await page.fill('#pigment_batch', 'L2311-08');
    await page.fill('#reason', 'Batch number mistyped at the chair');
    await lookAt(page, 'j-amend');
    await page.click('text=Save the amendment');
    await page.waitForURL(/\/sessions\/[0-9a-f]+$/);
    const amended = await page.textContent('main');
    assert.match(amended, /L2311-08/);
    assert.match(amended, /Amended[\s\S]*Batch number mistyped/);

    // E-mail to clients, switched on by the admin. This server has no SMTP
    // server set: messages wait in the outbox, and the chart shows them.
    await page.goto(`${url}/admin/email`);
    await page.check('input[name=enabled]');
    await page.fill('#from', 'studio@example.org');
    await page.click('text=Save the settings');
    await page.waitForURL(/note=saved/);
    await lookAt(page, 'k0-email-settings');
    // The price list, and a quote on the saved design version.
    await page.goto(`${url}/admin/prices`);
    await page.check('input[name=offer_full-head]');
    await page.fill('#amount_full-head', '450');
    await page.fill('#tax_percent', '21');
    await page.click('text=Save the prices');
    await page.waitForURL(/saved=1/);
    await lookAt(page, 'k1-prices');
    await page.goto(versionUrl);
    await page.selectOption('#quote-treatment', 'full-head');
    await page.click('text=Make a quote');
    await page.waitForURL(/#quotes$/);
    assert.match(await page.textContent('#quotes'), /Full head[\s\S]*Total[\s\S]*EUR/);
    await page.locator('#quotes').screenshot({ path: `${shots}/10e-design-quote.png` });
    // The consultation report of that version: made and kept, then sent to
    // the client as a link that downloads it without a login.
    await page.click('text=Make the consultation report');
    await page.waitForURL(/#reports$/);
    const reportHref = await page.locator('#reports a[href*="/reports/"]').first().getAttribute('href');
    const pdf = await page.request.get(new URL(reportHref, url).href);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
    await page.click('#reports button:has-text("Send it to the client")');
    await page.waitForURL(/\/share$/);
    assert.match(await page.textContent('main'), /on its way to marta@example\.net/);
    await lookAt(page, 'k2-report-shared');
    const reportLink = new URL(await page.locator('[data-copy]').getAttribute('data-copy'), url).href;
    const stranger = await browser.newContext();
    const shared = await stranger.request.get(reportLink);
    assert.equal(shared.headers()['content-type'], 'application/pdf', 'the link opens logged out');
    await stranger.close();
    await page.goto(versionUrl);
    assert.match(await page.textContent('#reports'), /Shared [\s\S]*last opened/);

    // The portfolio: a second crown photo, the client's separate consent to
    // showing their photos, a before/healed pair, and the gallery.
    const chartUrl = versionUrl.replace(/\/photos\/.*$/, '');
    await page.goto(chartUrl);
    await page.selectOption('#angle', 'crown');
    await page.setInputFiles('#photo', process.env.SMP_SCALP_PHOTO ?? fileURLToPath(new URL('../docs/render.jpg', import.meta.url)));
    await page.click('text=Upload the photo');
    await page.waitForURL(/#photos$/);
    await page.click("text=Record the client's portfolio consent");
    await page.waitForURL(/\/portfolio-consent$/);
    await lookAt(page, 'x-portfolio-consent');
    await page.check('input[name=agree]');
    await page.fill('#signed_name', 'Marta Ruiz');
    await page.locator('#signature-pad').scrollIntoViewIfNeeded();
    const portfolioPad = await page.locator('#signature-pad').boundingBox();
    await page.mouse.move(portfolioPad.x + 30, portfolioPad.y + 100);
    await page.mouse.down();
    for (let i = 0; i <= 30; i++) {
      await page.mouse.move(portfolioPad.x + 30 + i * 12, portfolioPad.y + 90 + Math.cos(i / 3) * 35);
    }
    await page.mouse.up();
    await page.click('button.primary-action');
    await page.waitForURL(/#portfolio$/);
    assert.match(await page.textContent('#portfolio'), /their face is blurred/);
    // The chart lists photos newest first: the newer is the healed one.
    const [healedPhoto, beforePhoto] = await page.locator('#gallery-before option[value]:not([value=""])')
      .evaluateAll((options) => options.map((o) => o.value));
    await page.selectOption('#gallery-before', beforePhoto);
    await page.selectOption('#gallery-healed', healedPhoto);
    await page.fill('#gallery-caption', 'Crown, three sessions');
    await page.click('text=Add to the gallery');
    await page.waitForURL(/#portfolio$/);
    await page.waitForFunction(() => [...document.querySelectorAll('#portfolio .gallery-grid img')]
      .every((img) => img.complete && img.naturalWidth > 0));
    await lookAt(page, 'x-chart-portfolio');
    await page.click('header a:has-text("Gallery")');
    await page.waitForURL(/\/gallery$/);
    assert.match(await page.textContent('main'), /Crown, three sessions/);
    assert.doesNotMatch(await page.textContent('main'), /Marta/);
    await page.waitForFunction(() => [...document.querySelectorAll('.gallery-grid img')]
      .every((img) => img.complete && img.naturalWidth > 0));
    await page.click('text=Switch on a public page');
    await page.waitForURL(/#public$/);
    await lookAt(page, 'y-gallery');
    const publicGallery = await page.locator('#public a.long-link').getAttribute('href');
    const visitor = await browser.newPage({ bypassCSP: true });
    await visitor.goto(publicGallery);
    await visitor.waitForFunction(() => [...document.querySelectorAll('.gallery-grid img')]
      .every((img) => img.complete && img.naturalWidth > 0));
    assert.match(await visitor.textContent('main'), /Crown, three sessions/);
    await lookAt(visitor, 'y-gallery-public');
    await visitor.close();

    // The postponed client cannot be planned before the date: refused with
    // the reason on the plan page.
    await page.goto(sessionUrl.replace(/\/sessions\/.*$/, '/plan'));
    await page.click('text=Make the plan');
    assert.match(await page.textContent('.refusal'), /postpones treatment until 1 March 2027/);
    await lookAt(page, 'k-plan-refused');
    // The practitioner goes ahead with a typed reason: the plan is made, and
    // its first session shows in its week in the calendar.
    await page.fill('#override_reason', "Physician's letter received: isotretinoin stopped in September");
    await page.click('button:has-text("Go ahead anyway")');
    await page.waitForSelector('text=Save the dates');
    // Its reminder is waiting in the chart's messages (e-mail was set up
    // by the admin before the plan).
    await page.goto(sessionUrl.replace(/\/sessions\/.*$/, ''));
    assert.match(await page.textContent('#messages'), /Session reminder[\s\S]*pending/);
    await page.goBack();
    // Its week (on a Sunday, the next working day is in the next one).
    const firstDate = await page.inputValue('input[name=date_1]');
    await page.goto(`${url}/calendar?week=${firstDate}`);
    assert.ok(await page.isVisible('.booking:has-text("Marta Ruiz")'), `the session is in the week of ${firstDate}`);

    // The design on the head: a top and a front photo of the same head;
    // the points tapped on each (guided, one name at a time), the zone
    // drawn on the top photo, and the simulation seen on the front one.
    const head = JSON.parse(process.env.SMP_HEAD_PHOTOS ?? 'null');
    if (head) {
      const chart = sessionUrl.replace(/\/sessions\/.*$/, '');
      for (const angle of ['top', 'front']) {
        await page.goto(chart);
        await page.selectOption('#angle', angle);
        await page.setInputFiles('#photo', head[angle].path);
        await page.click('text=Upload the photo');
        await page.waitForURL(/\/clients\/[0-9a-f]+#photos$/);
      }
      await page.click('a:has-text("Design on the head")');
      await page.waitForURL(/\/head-design$/);
      const overlay = page.locator('#overlay');
      const tapAt = async ([fx, fy]) => {
        await overlay.scrollIntoViewIfNeeded();
        const box = await overlay.boundingBox();
        await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
      };
      const order = ['glabella', 'right_ear', 'left_ear', 'frontal', 'right_temple', 'left_temple', 'crown'];
      for (const angle of ['top', 'front']) {
        await page.click(`[role=tab][data-name=${angle}]`);
        await page.waitForFunction((angle) => document.getElementById('photo').alt.includes(angle), angle);
        for (const name of order) {
          const at = head[angle].points[name];
          if (at) await tapAt(at);
          else await page.click('[data-action=skip]');
        }
      }
      await page.click('[role=tab][data-name=top]');
      await page.click('[data-mode=zone]');
      for (const at of [[0.3, 0.14], [0.7, 0.14], [0.72, 0.62], [0.28, 0.62]]) await tapAt(at);
      // Both photos fit the head within a millimetre or two.
      await page.waitForFunction(() => ['top', 'front'].every((name) =>
        /fits within/.test(document.querySelector(`[role=tab][data-name=${name}] [data-badge]`).textContent)),
      null, { timeout: 30000 });
      await page.waitForFunction(() => /impressions/.test(document.getElementById('figures').textContent));
      await page.click('[role=tab][data-name=front]');
      await page.waitForFunction(() => {
        const img = document.getElementById('preview');
        const shown = document.querySelector('[role=tab][aria-selected=true]').dataset.photo;
        return (img.dataset.url || '').endsWith(`/${shown}`) && img.complete && img.naturalWidth > 0
          && /updated in/.test(document.getElementById('preview-state').textContent);
      }, null, { timeout: 30000 });
      // The zone drawn on the top photo shows on the front one: the
      // simulation is darker than the photo there.
      const darker = await page.evaluate(async () => {
        const count = (img) => {
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i + 1] < 90) n++;
          return n;
        };
        return count(document.getElementById('preview')) - count(document.getElementById('preview-before'));
      });
      assert.ok(darker > 500, `the front photo's simulation shows the dots (${darker} more dark pixels)`);
      // The zone drawn on the top photo, carried onto the front one.
      assert.ok(await page.locator('#overlay polyline').count() > 0, 'the zone is outlined on the front photo');
      await page.screenshot({ path: `${shots}/15-head-design-front.png`, fullPage: true });
      await lookAt(page, 'u-head-design');
      await page.click('text=Save as a new version');
      await page.waitForURL(/head-design\?design=[0-9a-f]+$/);
      assert.match(await page.textContent('h1'), /Design on the head · version 2/);
      await page.click('main a:has-text("Marta Ruiz")');
      assert.match(await page.textContent('#designs'), /Version 2 on the head/);
    }

    // The tablet handed to the client for a consent: no staff menu, and
    // back only with the password.
    await page.goto(sessionUrl.replace(/\/sessions\/.*$/, '/consent'));
    await page.click('text=Hand the tablet to the client');
    await page.waitForURL(/\/consent$/);
    assert.equal(await page.locator('header nav').count(), 0, 'no staff navigation');
    await lookAt(page, 'l-client-mode-consent');
    await page.goto(`${url}/clients`);
    await page.waitForURL(/\/handback$/);
    await lookAt(page, 'm-handback');
    await page.fill('#password', 'my own long password');
    await page.click('text=Take the tablet back');
    await page.waitForURL(/\/clients\/[0-9a-f]+#consent$/);

    // The admin's pages.
    for (const [path, name] of [['/admin/users', 'n-staff'], ['/admin/studio', 'o-studio'], ['/audit', 'p-audit'], ['/calendar', 'q-calendar'], ['/dashboard', 'r-follow-up']]) {
      await page.goto(`${url}${path}`);
      await lookAt(page, name);
    }

    // The sessions on the practitioner's phone: a private calendar address.
    await page.goto(`${url}/calendar`);
    await page.click('text=Make my calendar address');
    const feed = (await page.textContent('#feed-address')).trim();
    assert.match(feed, /\/calendar\/feed\/[0-9a-f]{64}\/sessions\.ics$/);
    await lookAt(page, 'w-calendar-address');
    const ics = await page.request.get(feed);
    assert.equal(ics.status(), 200);
    assert.match(await ics.text(), /SUMMARY:Marta R\.: SMP session 1/);

    // Live search (htmx): the list narrows as the name is typed.
    await page.goto(`${url}/clients`);
    await page.fill('#full_name', 'Otto Other');
    await page.click('text=Add the client');
    await page.goto(`${url}/clients`);
    assert.ok(await page.isVisible('a:has-text("Otto Other")'));
    await page.fill('#q', 'mar');
    await page.waitForFunction(() => !document.querySelector('#client-list').textContent.includes('Otto'));
    assert.ok(await page.isVisible('a:has-text("Marta Ruiz")'), 'found by search');
    assert.match(page.url(), /q=mar/, 'the search is in the address, for back and reload');
    await page.screenshot({ path: `${shots}/09-search.png` });
    await lookAt(page, 't-clients');

    // The pre-visit forms: sent from a new client's chart, answered logged
    // out on a phone (the consent signed there too, which the studio now
    // allows), seen in the chart as the client's own answers.
    await page.goto(`${url}/admin/studio`);
    await page.check('#consent-at-home input[name=allowed]');
    await page.click('#consent-at-home button');
    await page.waitForURL(/#consent-at-home$/);
    assert.ok(await page.isChecked('#consent-at-home input[name=allowed]'));
    await page.goto(`${url}/clients`);
    await page.fill('#q', 'otto');
    await page.waitForFunction(() => document.querySelector('#client-list').textContent.includes('Otto'));
    await page.click('a:has-text("Otto Other")');
    await page.click('text=Send the pre-visit forms');
    const formsLink = await page.getAttribute('button[data-copy]', 'data-copy');
    assert.match(formsLink, /\/forms\/[0-9a-f]{64}$/);
    await lookAt(page, 'u-previsit-link');
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    const phonePage = await phone.newPage();
    phonePage.on('pageerror', (e) => pageErrors.push(e.message));
    await phonePage.goto(formsLink);
    assert.match(await phonePage.textContent('h1'), /Before your visit/);
    await phonePage.fill('#birth_date', '1979-05-02');
    await phonePage.check('input[name=allergy_nickel]');
    await phonePage.check('input[name=agree]');
    await phonePage.fill('#signed_name', 'Otto Other');
    await phonePage.locator('#signature-pad').scrollIntoViewIfNeeded();
    const phonePad = await phonePage.locator('#signature-pad').boundingBox();
    await phonePage.mouse.move(phonePad.x + 20, phonePad.y + 100);
    await phonePage.mouse.down();
    for (let i = 0; i <= 25; i++) {
      await phonePage.mouse.move(phonePad.x + 20 + i * 11, phonePad.y + 90 + Math.sin(i / 2) * 30);
    }
    await phonePage.mouse.up();
    await phonePage.screenshot({ path: `${shots}/16-previsit-phone.png`, fullPage: true });
    await lookAt(phonePage, 'v-previsit-form');
    await phonePage.click('text=Send my answers');
    await phonePage.waitForSelector('text=Your answers reached');
    await phonePage.screenshot({ path: `${shots}/17-previsit-sent.png` });
    await phone.close();
    await page.click('main a:has-text("Otto Other")');
    assert.match(await page.textContent('#screening'), /by the client at home, through the pre-visit link admin made/);
    assert.match(await page.textContent('#previsit'), /answered on/);
    assert.match(await page.textContent('#consent'), /the client at home, through admin's link/);
    await page.click('text=Log out');
    await page.waitForURL(/\/login$/);
    assert.deepEqual(pageErrors, [], 'no script error on any page');
  } finally {
    await browser.close();
  }
});
