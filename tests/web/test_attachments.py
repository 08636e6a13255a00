"""Documents uploaded in forms: type sniffed from the content, size capped, kept across a failed submission,
referenced from the task data and downloadable only by those who may see the case."""

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
    ((GIF, "张三.gif"), "只接受PDF、JPG、PNG格式的文件"),
    ((b"<html><script>alert(1)</script>", "张三.png"), "只接受PDF、JPG、PNG格式的文件"),
    ((PDF, "张三.png"), "文件扩展名与文件内容不符"),
    ((b"", "张三.png"), "文件为空，请重新选择"),
])
def test_a_bad_file_is_refused_with_a_field_message_and_the_others_are_kept(client_for, flow, platform,
                                                                           materials_task, upload, message):
    case, task_id = materials_task
    client = client_for("applicant")
    response = submit(client, task_id, FIELDS, files(photo=upload))
    assert response.status_code == 422
    page = text(response)
    photo = re.search(r'id="field-photo".*?</div>\s*</div>', page, re.S).group(0)
    assert message in photo
    assert page.count("已上传：") == 3  # the three good documents need not be sent again
    kept = dict(re.findall(r'name="(\w+)__kept" value="([^"]+)"', page))
    assert set(kept) == {"certification_proof", "approval_form", "id_card_copy"}
    assert flow.open_task_names(case) == ["submit_materials"]
    again = client.post(f"/tasks/{task_id}", data={**FIELDS, **{f"{k}__kept": v for k, v in kept.items()},
                                                    "photo": (io.BytesIO(JPEG), "张三.jpg")},
                         content_type="multipart/form-data")
    assert again.status_code == 302
    with platform.uow(write=False) as uow:
        assert len(uow.session.scalars(select(Attachment)).all()) == 4


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
