"""Documents uploaded in forms: type sniffed from the content and checked against the formats each field takes,
size and quotas capped, nothing stored from a rejected submission, replaced versions out of the list of
materials, referenced from the task data and downloadable only by those who may see the case."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from engine.store.models import Attachment
from tasks.attachments import Upload, parse_reference, reference, sniff

from .conftest import MATERIALS, open_task
from .webkit import GIF, JPEG, PDF, PNG, text

FIELDS = {"id_number": MATERIALS["id_number"], "photo_confirmed": "true", "contact_phone": "13806351234"}


def files(**override: tuple[bytes, str]) -> dict[str, tuple[io.BytesIO, str]]:
    chosen = {"certification_proof": (PDF, "认定证明.pdf"), "approval_form": (PDF, "审批表.pdf"),
              "id_card_copy": (JPEG, "身份证.jpg"), "photo": (PNG, "张三.png"), **override}
    return {field: (io.BytesIO(content), name) for field, (content, name) in chosen.items()}


def submit(client, task_id: int, data: dict, uploads: dict):
    return client.post(f"/tasks/{task_id}", data={**data, **uploads}, content_type="multipart/form-data")


@pytest.fixture
def materials_task(flow, start_case) -> tuple[int, int]:
    case = start_case()
    return case, open_task(flow, case, "submit_materials")["id"]


def test_uploads_are_stored_apart_and_the_task_data_holds_a_reference(client_for, flow, platform,
                                                                      materials_task):
    case, task_id = materials_task
    client = client_for("applicant")
    page = text(client.get(f"/tasks/{task_id}"))
    assert page.count('type="file"') == 4 and 'enctype="multipart/form-data"' in page
    response = submit(client, task_id, FIELDS, files())
    assert response.headers["Location"] == f"/cases/{case}"
    data = flow.view(case)["data"]
    assert parse_reference(data["photo"])[1] == "张三.png" and data["photo"].startswith("附件#")
    with platform.uow(write=False) as uow:
        stored = uow.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.field, a.content_type, a.size, a.instance_id) for a in stored] == [
            ("certification_proof", "application/pdf", len(PDF), case), ("approval_form", "application/pdf",
                                                                         len(PDF), case),
            ("id_card_copy", "image/jpeg", len(JPEG), case), ("photo", "image/png", len(PNG), case)]
    assert flow.open_task_names(case) == ["county_check"]
    case_page = text(client.get(f"/cases/{case}"))
    assert re.search(r'<a class="doc-link" href="/attachments/\d+">张三.png</a>', case_page)


def test_downloads_are_attachments_with_nosniff_and_only_for_those_who_see_the_case(client_for, flow,
                                                                                   materials_task):
    case, task_id = materials_task
    submit(client_for("applicant"), task_id, FIELDS, files())
    photo_id = parse_reference(flow.view(case)["data"]["photo"])[0]
    for allowed in ("applicant", "win_dcf", "admin"):
        response = client_for(allowed).get(f"/attachments/{photo_id}")
        assert response.status_code == 200 and response.data == PNG
        assert response.mimetype == "image/png"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E5%BC%A0%E4%B8%89.png" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
    for outsider in ("other_applicant", "win_lq", "city1", "hrss1"):
        assert client_for(outsider).get(f"/attachments/{photo_id}").status_code == 404
    assert client_for("applicant").get("/attachments/99999").status_code == 404


@pytest.mark.parametrize(("upload", "message"), [
    ((GIF, "张三.gif"), "只接受JPG、PNG格式的文件"),
    ((b"<html><script>alert(1)</script>", "张三.png"), "只接受JPG、PNG格式的文件"),
    ((PDF, "张三.pdf"), "只接受JPG、PNG格式的文件"),  # a good PDF, but the photo field takes pictures only
    ((JPEG, "张三.png"), "文件扩展名与文件内容不符（文件内容为JPG）"),
    ((b"", "张三.png"), "文件为空，请重新选择"),
])
def test_a_rejected_submission_stores_nothing_and_says_what_each_field_needs(client_for, flow, platform,
                                                                             materials_task, upload, message):
    # Before issue 12 the documents that passed were stored and kept for the next try: four rejected
    # submissions stored 75 MB, and reviewers saw the same document twice. Now nothing is kept.
    case, task_id = materials_task
    client = client_for("applicant")
    response = submit(client, task_id, FIELDS, files(photo=upload))
    assert response.status_code == 422
    page = text(response)
    photo = re.search(r'id="field-photo".*?</div>\s*</div>', page, re.S).group(0)
    assert message in photo
    for name in ("certification_proof", "approval_form", "id_card_copy"):  # the good ones: choose them again
        block = re.search(rf'id="field-{name}".*?</div>\s*</div>', page, re.S).group(0)
        assert "提交未成功，所选文件未保存，请重新选择" in block, name
    assert "提交未成功，所选文件未保存，请重新选择" not in photo
    assert "已上传：" not in page and "__kept" not in page
    with platform.uow(write=False) as uow:
        assert uow.session.scalars(select(Attachment)).all() == []
    assert flow.open_task_names(case) == ["submit_materials"]
    again = submit(client, task_id, FIELDS, files(photo=(JPEG, "张三.jpg")))
    assert again.status_code == 302
    with platform.uow(write=False) as uow:
        assert len(uow.session.scalars(select(Attachment)).all()) == 4
    assert '<span class="count">4</span>' in text(client.get(f"/cases/{case}"))


def test_each_file_field_says_and_offers_the_formats_it_takes(client_for, materials_task):
    _case, task_id = materials_task
    client = client_for("applicant")
    page = text(client.get(f"/tasks/{task_id}"))
    photo = re.search(r'id="field-photo".*?</div>\s*</div>', page, re.S).group(0)
    assert 'accept=".jpg,.jpeg,image/jpeg,.png,image/png"' in photo and "JPG 或 PNG 格式，不超过 10MB。" in photo
    assert "PDF" not in photo
    proof = re.search(r'id="field-certification_proof".*?</div>\s*</div>', page, re.S).group(0)
    assert "PDF、JPG 或 PNG 格式，不超过 10MB。" in proof and "application/pdf" in proof
    client.post("/language", data={"lang": "en"})
    english = text(client.get(f"/tasks/{task_id}"))
    assert "JPG or PNG, at most 10 MB." in english and "PDF, JPG or PNG, at most 10 MB." in english
    refused = text(submit(client, task_id, FIELDS, files(photo=(PDF, "张三.pdf"))))
    assert "Only JPG, PNG files are accepted" in refused


def test_a_typed_file_name_of_the_wrong_format_is_told_the_format_expected(flow, platform, people):
    from engine.errors import InvalidInput
    from tasks import service as tasks

    from .webkit import deploy_files, health_card_files

    key = deploy_files(platform, health_card_files(uploads=False))
    case = flow.start(key, {"applicant_name": "张三", "talent_category": "顶尖人才", "county": "dongchangfu",
                            "employer": "聊城大学"})
    task = open_task(flow, case, "submit_materials")
    with platform.uow() as uow, pytest.raises(InvalidInput) as refused:
        tasks.complete_task(task["id"], {**MATERIALS, "photo": "张三.pdf"}, actor=flow.actor("applicant"), uow=uow,
                            now=platform.now())
    [photo] = [d for d in refused.value.details if d["field"] == "photo"]
    assert photo["message_zh"] == "应为JPG、PNG格式的文件" and "JPG or PNG" in photo["message"]


def test_a_replaced_document_leaves_the_list_of_materials_but_opens_from_its_step(client_for, flow, platform,
                                                                                 materials_task):
    case, task_id = materials_task
    client = client_for("applicant")
    assert submit(client, task_id, FIELDS, files()).status_code == 302
    old_photo = parse_reference(flow.view(case)["data"]["photo"])[0]
    flow.complete("county_window_dongchangfu", "county_check", {
        "county_decision": "退回补正", "missing_items": ["证件照"], "return_note": "照片须为白底"}, case)
    resubmit = open_task(flow, case, "correct_materials")["id"]
    kept = dict(re.findall(r'name="(\w+)__kept" value="([^"]+)"', text(client.get(f"/tasks/{resubmit}"))))
    kept.pop("photo")
    assert client.post(f"/tasks/{resubmit}", data={**FIELDS, **{f"{k}__kept": v for k, v in kept.items()},
                                                   "photo": (io.BytesIO(JPEG), "张三-白底.jpg")},
                       content_type="multipart/form-data").status_code == 302
    reviewer = client_for("county_window_dongchangfu")
    county = open_task(flow, case, "county_check")["id"]
    for page in (text(reviewer.get(f"/tasks/{county}")), text(client.get(f"/cases/{case}"))):
        materials = re.search(r'id="documents-title".*?</section>', page, re.S).group(0)
        assert '<span class="count">4</span>' in materials  # four slots, four documents
        assert "张三-白底.jpg" in materials and "张三.png" not in materials
        assert f'href="/attachments/{old_photo}"' in page  # the first photo still opens from its step
    with platform.uow(write=False) as uow:
        assert len(uow.session.scalars(select(Attachment)).all()) == 5  # kept for the record


def test_uploads_past_the_case_quota_are_refused_with_a_message(client_for, flow, platform, materials_task,
                                                                monkeypatch):
    _case, task_id = materials_task
    monkeypatch.setattr("tasks.attachments.MAX_CASE_DOCUMENTS", 3)
    response = submit(client_for("applicant"), task_id, FIELDS, files())
    assert response.status_code == 422
    assert "此案件的材料已达上限（最多3份、合计100MB），请联系窗口工作人员" in text(response)
    monkeypatch.setattr("tasks.attachments.MAX_CASE_DOCUMENTS", 50)
    monkeypatch.setattr("tasks.attachments.MAX_CASE_BYTES", 3 * len(PDF))
    assert "请联系窗口工作人员" in text(submit(client_for("applicant"), task_id, FIELDS, files()))
    with platform.uow(write=False) as uow:
        assert uow.session.scalars(select(Attachment)).all() == []


def test_an_applicant_past_their_quota_is_refused_with_a_message(client_for, flow, platform, materials_task,
                                                                 start_case, monkeypatch):
    _case, task_id = materials_task
    client = client_for("applicant")
    assert submit(client, task_id, FIELDS, files()).status_code == 302
    with platform.uow(write=False) as uow:
        used = sum(a.size for a in uow.session.scalars(select(Attachment)))
    monkeypatch.setattr("tasks.attachments.MAX_APPLICANT_BYTES", used + len(PDF))
    other = open_task(flow, start_case(), "submit_materials")["id"]  # a second case of the same applicant
    response = submit(client, other, FIELDS, files())
    assert response.status_code == 422
    assert "您上传的材料合计将超过0MB的上限，请联系窗口工作人员" in text(response)
    other_applicant = client_for("other_applicant")
    theirs = open_task(flow, start_case(who="other_applicant"), "submit_materials")["id"]
    assert submit(other_applicant, theirs, FIELDS, files()).status_code == 302  # a quota per applicant


def test_a_file_over_ten_megabytes_is_refused(client_for, materials_task):
    from werkzeug.test import EnvironBuilder

    _case, task_id = materials_task
    big = PDF + b"0" * (10 * 1024 * 1024)
    builder = EnvironBuilder(path=f"/tasks/{task_id}", method="POST", content_type="multipart/form-data",
                             data={**FIELDS, **files(certification_proof=(big, "big.pdf"))})
    environ = builder.get_environ()  # a body this large is spooled to a temporary file: close it afterwards
    try:
        response = client_for("applicant").open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 422 and "文件超过10MB" in text(response)


def test_a_kept_reference_must_name_a_document_of_the_same_case(client_for, flow, start_case, materials_task):
    case, task_id = materials_task
    submit(client_for("applicant"), task_id, FIELDS, files())
    other_case = start_case(who="other_applicant")
    other_task = open_task(flow, other_case, "submit_materials")["id"]
    stolen = flow.view(case)["data"]["photo"]
    uploads = files()
    del uploads["photo"]
    response = client_for("other_applicant").post(
        f"/tasks/{other_task}", data={**FIELDS, **uploads, "photo__kept": stolen}, content_type="multipart/form-data")
    assert response.status_code == 422 and "附件无效，请重新上传" in text(response)


def test_resubmission_starts_from_the_documents_already_sent(client_for, flow, materials_task):
    case, task_id = materials_task
    submit(client_for("applicant"), task_id, FIELDS, files())
    flow.complete("county_window_dongchangfu", "county_check", {
        "county_decision": "退回补正", "missing_items": ["证件照"], "return_note": "照片须为白底"}, case)
    resubmit = open_task(flow, case, "correct_materials")["id"]
    client = client_for("applicant")
    page = text(client.get(f"/tasks/{resubmit}"))
    assert "申请材料被退回补正（第1次，最多3次）。缺少或不符合要求：证件照；说明：照片须为白底" in page
    kept = dict(re.findall(r'name="(\w+)__kept" value="([^"]+)"', page))
    assert set(kept) == {"certification_proof", "approval_form", "id_card_copy", "photo"}
    kept.pop("photo")
    response = client.post(f"/tasks/{resubmit}", data={
        **FIELDS, **{f"{k}__kept": v for k, v in kept.items()}, "photo": (io.BytesIO(JPEG), "张三-白底.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    data = flow.view(case)["data"]
    assert parse_reference(data["photo"])[1] == "张三-白底.jpg"
    assert data["certification_proof"] == kept["certification_proof"]


def test_the_reference_convention_and_the_sniffer():
    assert reference(12, "张三.jpg") == "附件#12 张三.jpg"
    assert parse_reference("附件#12 张三.jpg") == (12, "张三.jpg")
    assert parse_reference("张三.jpg") is None and parse_reference(None) is None
    assert (sniff(PDF), sniff(JPEG), sniff(PNG), sniff(GIF)) == ("application/pdf", "image/jpeg", "image/png", None)
    assert Upload("photo", "a.png", PNG).field == "photo"
