"""Commands in disguise: the catalogue loads only when every value is usable, and the
classifier explains every decision it makes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlab.domains.onboarding import disguise
from eventlab.scenarios import onboarding

HEADER = "name,sender,source,expected\n"


def test_the_workbook_catalogue_loads_and_every_verdict_agrees_with_it():
    catalogue = onboarding.load_catalogue()
    assert len(catalogue) == 29
    verdicts = onboarding.classify_catalogue(catalogue)
    assert (verdicts["agrees"] == "yes").all()
    for name in ("OrderPlacedEvent", "RetrievePaymentCommand", "PaymentReceivedEvent",
                 "FetchGoodsCommand", "GoodsFetchedEvent", "ShipGoodsCommand",
                 "GoodsShippedEvent", "OrderCompletedEvent", "AddressCheckRequired",
                 "CustomerNeedsToBeSentAMessageToConfirmAddressChange", "SendMessage",
                 "CustomerMoved"):
        assert name in catalogue.index


def test_every_decision_names_its_rule_and_explains_it():
    names = [*onboarding.load_catalogue().index, "CustomerFeed", "OrderEvent", "X",
             "PaymentShouldBeRetriedCommand", "the goods were shipped"]
    table = onboarding.classify_all(names)
    assert table.index.tolist() == names
    for name, row in table.iterrows():
        assert row["kind"] in onboarding.KINDS, name
        assert row["rule"], name
        assert len(row["reason"]) > 30, name
        if row["rule"].startswith("'"):  # a marker: the reason quotes the word that decided
            assert row["rule"] in row["reason"]


@pytest.mark.parametrize(("name", "kind", "rule"), [
    ("AddressCheckRequired", "command in disguise", "'required'"),
    ("The customer needs to be sent a message to confirm address change",
     "command in disguise", "'needs to be'"),
    ("RetrievePaymentCommand", "command", "says Command"),
    ("CheckAddress", "command", "imperative"),
    ("GoodsShippedEvent", "event", "past tense"),
    ("InvoiceSent", "event", "past tense"),
    ("CustomerFeed", "unclear", "no rule"),
    ("OrderEvent", "unclear", "says Event"),
])
def test_the_rules_decide_as_documented(name, kind, rule):
    verdict = onboarding.classify(name)
    assert (verdict.kind, verdict.rule) == (kind, rule)


@settings(max_examples=50, deadline=None)
@given(st.from_regex(r"[A-Z][a-z]{2,8}([A-Z][a-z]{2,8}){0,3}", fullmatch=True))
def test_any_camel_case_name_gets_a_verdict_with_a_reason(name):
    verdict = onboarding.classify(name)
    assert verdict.kind in onboarding.KINDS
    assert verdict.reason
    assert "".join(disguise.words(name)) == name.lower()


@pytest.mark.parametrize(("text", "where"), [
    (HEADER + "InvoiceSent,Billing,mine,evnt\n",
     "my.csv: row 1 (line 2), column 'expected': 'evnt' is not one of"),
    (HEADER + "InvoiceSent,Billing,mine,event\nInvoiceSent,Billing,mine,event\n",
     "my.csv: row 2 (line 3), column 'name': 'InvoiceSent' is already row 1"),
    (HEADER + ",Billing,mine,event\n", "my.csv: row 1 (line 2), column 'name': ''"),
    (HEADER + "__import__('os').system('ls'),Billing,mine,\n",
     "my.csv: row 1 (line 2), column 'name': \"__import__('os').system('ls')\""),
    (HEADER + "InvoiceSent,Bil/ling,mine,\n", "my.csv: row 1 (line 2), column 'sender'"),
    (HEADER + "InvoiceSent,Billing\n", "my.csv: row 1 (line 2): 2 fields, but the header has 4"),
    ("name,sender,colour\nInvoiceSent,Billing,red\n", "my.csv: header has unknown column 'colour'"),
    ("name,source\nInvoiceSent,mine\n", "my.csv: header lacks the column 'sender'"),
    ("", "my.csv: empty"),
])
def test_a_bad_catalogue_is_refused_naming_file_row_column_and_value(text, where):
    with pytest.raises(onboarding.CatalogueError) as caught:
        onboarding.parse_catalogue(text, source="my.csv")
    assert str(caught.value).startswith(where)


def test_a_learner_can_add_names_in_a_file_of_their_own(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("\ufeffname,sender\nInvoiceSent,Billing\n\nPaymentShouldBeRetried,Payment\n",
                    encoding="utf-8")
    catalogue = onboarding.load_catalogue(path)
    assert catalogue.index.tolist() == ["InvoiceSent", "PaymentShouldBeRetried"]
    assert catalogue["expected"].tolist() == ["", ""]
    verdicts = onboarding.classify_catalogue(catalogue)
    assert verdicts["kind"].tolist() == ["event", "command in disguise"]
    assert verdicts["agrees"].tolist() == ["—", "—"]


def test_missing_and_unreadable_files_are_reported_by_name(tmp_path):
    with pytest.raises(onboarding.CatalogueError, match="no such file"):
        onboarding.load_catalogue(tmp_path / "nope.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,sender\nStraßeGebaut,CRM\n".encode("latin-1"))
    with pytest.raises(onboarding.CatalogueError, match=r"latin\.csv: not UTF-8"):
        onboarding.load_catalogue(latin)


def test_the_classifier_takes_names_not_one_string():
    with pytest.raises(TypeError, match="list of names"):
        onboarding.classify_all("AddressCheckRequired")
    with pytest.raises(TypeError, match="name"):
        onboarding.classify(42)
    with pytest.raises(TypeError, match="load_catalogue"):
        onboarding.classify_catalogue(["InvoiceSent"])
