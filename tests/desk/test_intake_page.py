"""The agent's intake form in a real headless Chromium: category search, the knowledge base
searched as the agent types, the deadlines a transfer would get shown before saving (and then
given), a direct answer with the article used, and an unfinished form kept over a reload."""

from __future__ import annotations

from selenium.webdriver.support.ui import Select

from tests.desk.pages import fits, loaded, shot, sign_in, text, until


def test_transfer_and_direct_answer_from_the_intake_form(desk, browser):
    desk.casework.kb.save("kb-water", "停水报修", "停水请拨打供水热线 96111 报修，抢修两小时内到场。",
                          "供水", author="boss")
    desk.casework.kb.save("kb-bus", "公交线路查询", "公交线路可在公交集团网站查询。", author="boss")
    sign_in(browser, desk, "agent1")
    until(browser, lambda: loaded(browser, "intake"))
    options = browser.execute_script(
        "return [...document.querySelectorAll('#categories option')].map(o => o.value)")
    assert "0201 求助/供水供电" in options
    browser.find_element("id", "caller").send_keys("13800000001")
    browser.find_element("id", "category").send_keys("0201 求助/供水供电")
    until(browser, lambda: text(browser, "#deadline-sign") != "–")
    assert text(browser, "#deadline-sign") == "2026-11-17 09:00"
    assert text(browser, "#deadline-reply").startswith("2026-11-20 00:00 (3 ")
    Select(browser.find_element("id", "urgency")).select_by_value("紧急")
    until(browser, lambda: text(browser, "#deadline-reply").startswith("2026-11-18 00:00 (1 "), timeout=3)
    browser.find_element("id", "district").send_keys("历下区")
    browser.find_element("id", "address").send_keys("文化东路1号")
    browser.find_element("id", "text").send_keys("小区停水两天了 停水")
    until(browser, lambda: "停水报修" in (text(browser, "#kb-results") or ""))
    assert "公交线路" not in text(browser, "#kb-results")
    Select(browser.find_element("id", "lead")).select_by_value("water")
    preview = (text(browser, "#deadline-sign"), text(browser, "#deadline-reply"))
    browser.refresh()  # the unfinished form survives
    until(browser, lambda: loaded(browser, "intake"))
    until(browser, lambda: browser.find_element("id", "text").get_attribute("value") == "小区停水两天了 停水")
    assert browser.find_element("id", "category").get_attribute("value") == "0201 求助/供水供电"
    assert browser.find_element("id", "urgency").get_attribute("value") == "紧急"
    assert browser.find_element("id", "lead").get_attribute("value") == "water"
    until(browser, lambda: (text(browser, "#deadline-sign"), text(browser, "#deadline-reply")) == preview)
    assert fits(browser)
    shot(browser, "desk-agent-intake")
    browser.find_element("id", "do-dispatch").click()
    until(browser, lambda: loaded(browser, "case") or text(browser, "#message"))
    assert loaded(browser, "case"), text(browser, "#message")
    case_id = text(browser, "#case-id")
    saved = desk.get("agent1", f"/api/cases/{case_id}").json()
    assert saved["status"] == "dispatched" and saved["departments"] == {"water": "lead"}
    assert saved["urgency"] == "紧急" and saved["caller"] == "13800000001" and saved["district"] == "历下区"
    assert text(browser, "#sign-due") == preview[0] and preview[1].startswith(text(browser, "#reply-due"))
    # A new intake starts empty; this one is answered on the spot with the article.
    browser.get(desk.url + "/desk/intake")
    until(browser, lambda: loaded(browser, "intake"))
    assert browser.find_element("id", "text").get_attribute("value") == ""
    browser.find_element("id", "category").send_keys("0201 求助/供水供电")
    browser.find_element("id", "text").send_keys("停水了找谁报修")
    until(browser, lambda: "没有匹配的知识" in text(browser, "#kb-results"))  # the whole sentence: none
    browser.find_element("id", "kb-query").send_keys("报修")  # the agent's own words
    until(browser, lambda: browser.find_elements("css selector", "input[value='kb-water']"))
    browser.find_element("css selector", "input[value='kb-water']").click()
    assert "96111" in browser.find_element("id", "answer").get_attribute("value")
    browser.find_element("id", "do-answer").click()
    until(browser, lambda: loaded(browser, "case"))
    answered = desk.get("agent1", f"/api/cases/{text(browser, '#case-id')}").json()
    assert answered["case"]["handling"] == "direct" and answered["case"]["article_id"] == "kb-water"
    assert [a["article_id"] for a in answered["articles"]] == ["kb-water"]
    assert "停水报修" in text(browser, "#articles")
    shot(browser, "desk-agent-answered-case")


def test_a_refused_intake_says_which_field_and_saves_nothing(desk, browser):
    sign_in(browser, desk, "agent1")
    until(browser, lambda: loaded(browser, "intake"))
    browser.find_element("id", "category").send_keys("9999 no such category")
    browser.find_element("id", "text").send_keys("有人反映问题")
    browser.find_element("id", "do-dispatch").click()
    until(browser, lambda: text(browser, "#message"))
    assert "category" in text(browser, "#message")
    assert desk.get("boss", "/api/cases").json() == []
