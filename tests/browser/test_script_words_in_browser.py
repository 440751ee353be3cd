"""In Chromium: what the scripts write on a page (static/password.js, static/search.js) is in the
page's language, from the page's own words (templates/_script_messages.html), not in English."""

from __future__ import annotations

from playwright.sync_api import expect


def test_the_password_button_says_show_and_hide_in_spanish(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/es/login")
        box = page.get_by_label("Contraseña", exact=True)
        box.fill("violet harbor")
        show = page.get_by_role("button", name="Mostrar contraseña")
        assert show.inner_text() == "Mostrar"
        show.click()
        assert box.get_attribute("type") == "text"
        hide = page.get_by_role("button", name="Ocultar contraseña")
        assert hide.inner_text() == "Ocultar" and hide.get_attribute("aria-pressed") == "true"
    finally:
        context.close()


def test_the_search_suggestions_and_their_count_are_in_spanish(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/es/")
        box = page.get_by_role("combobox", name="Buscar en el centro de ayuda")
        box.press_sequentially("contraseña", delay=30)
        listbox = page.get_by_role("listbox", name="Sugerencias")
        listbox.wait_for(state="visible")
        shown = listbox.get_by_role("option").count()
        status = page.locator(".site-search [role=status]")
        expected = "1 sugerencia" if shown == 1 else f"{shown} sugerencias"
        assert status.inner_text() == expected
        kinds = set(listbox.locator(".suggestion-kind").all_inner_texts())
        assert kinds and kinds <= {"Diagnóstico guiado", "Artículo"}
        box.fill("")
        box.press_sequentially("zzqqxx", delay=30)
        expect(status).to_have_text("No hay sugerencias")
    finally:
        context.close()


def test_the_password_button_says_show_in_arabic(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/ar/login")
        show = page.get_by_role("button", name="إظهار كلمة المرور")
        assert show.inner_text() == "إظهار"
    finally:
        context.close()
