"""Knowledge base: versions, Chinese full-text search, links from cases."""

from __future__ import annotations

import pytest

from callcenter.casework.knowledge import KnowledgeBase, KnowledgeError


@pytest.fixture
def kb(case_store):
    kb = KnowledgeBase(case_store)
    kb.save("kb-1", "社会保险缴费基数调整", "2026年起社保缴费基数按上年平均工资调整，咨询电话12333。",
            "社保 缴费", author="editor", at=1.0)
    kb.save("kb-2", "燃气报修流程", "燃气泄漏请立即拨打燃气公司抢修电话，并开窗通风。", "燃气",
            author="editor", at=2.0)
    kb.save("kb-3", "Household registration transfer", "Bring your ID card and the household book.",
            "hukou", author="editor", at=3.0)
    return kb


def test_chinese_search_finds_substrings_without_word_segmentation(kb):
    assert [a.article_id for a in kb.search("缴费基数")] == ["kb-1"]
    assert [a.article_id for a in kb.search("社保")] == ["kb-1"]  # two characters: the scan
    assert [a.article_id for a in kb.search("抢修电话")] == ["kb-2"]
    assert [a.article_id for a in kb.search("household")] == ["kb-3"]  # case-insensitive
    assert kb.search("地铁") == []
    assert kb.search('"); DROP TABLE kb_articles; --') == []  # query syntax is not passed through
    assert [a.article_id for a in kb.search("燃气 开窗")] == ["kb-2"]  # every term must match
    assert kb.search("燃气 社保") == []


def test_a_new_version_replaces_the_searchable_text_and_keeps_the_old(kb):
    article = kb.save("kb-2", "燃气报修流程（修订）", "燃气泄漏请拨打96777。", "燃气",
                      author="editor2", at=4.0)
    assert article.version == 2
    assert kb.search("开窗通风") == []
    assert [a.version for a in kb.search("96777")] == [2]
    assert [v.version for v in kb.versions("kb-2")] == [1, 2]
    assert kb.article("kb-2", 1).body.startswith("燃气泄漏请立即")


def test_links_keep_the_version_that_answered(kb):
    kb.link("C1", "kb-1", by="agent1")
    kb.save("kb-1", "社会保险缴费基数调整", "新内容", "社保", author="editor")
    assert kb.linked("C1") == [{"article_id": "kb-1", "version": 1, "title": "社会保险缴费基数调整"}]
    assert kb.cases_answered("kb-1") == ["C1"]
    with pytest.raises(KnowledgeError, match="article_id"):
        kb.link("C1", "kb-404", by="agent1")


def test_bad_articles_are_refused(kb):
    with pytest.raises(KnowledgeError, match="^title"):
        kb.save("kb-9", " ", "body", author="e")
    with pytest.raises(KnowledgeError, match="^body"):
        kb.save("kb-9", "t", "x" * 20_001, author="e")
