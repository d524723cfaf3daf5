"""`endpoint`: validates a view's input and output with pydantic and records it for OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from tracker.auth import current_principal
from tracker.errors import ERRORS, fail
from tracker.ids import ID_MAX
from tracker.security import large_body
from tracker.services.uploads import Upload, checked_upload, read_upload


@dataclass(frozen=True)
class FileField:
    """A multipart file field of one of the `types` (extensions); with `raw_csv`, the file may
    also be sent as the whole body, typed `text/csv`."""

    name: str
    types: frozenset[str]
    raw_csv: bool = False


@dataclass(frozen=True)
class EndpointDoc:
    """What one API view takes and gives, as OpenAPI will describe it."""

    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    roles: tuple[str, ...] = ()
    public: bool = False
    errors: tuple[str, ...] = field(default=())
    upload: FileField | None = None  # the view receives it, checked, as `upload`
    form: type[BaseModel] | None = None  # multipart text fields, as `form`


def endpoint(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    roles: tuple[str, ...] = (),
    public: bool = False,
    errors: tuple[str, ...] = (),
    upload: FileField | None = None,
    form: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check the caller, parse `body`, `query`, `form` and `upload` into the view's kwargs,
    and shape its result (a view object or a mapping) with `response`."""
    doc = EndpointDoc(summary, body, query, response, status, roles, public, errors, upload, form)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not public:
                principal = current_principal()
                if principal is None:
                    fail("unauthorized")
                if roles and principal.role not in roles:
                    fail("forbidden")
            if body is not None:
                data = request.get_json(silent=True)
                if not isinstance(data, dict):
                    fail("bad_payload", _l("The request body must be a JSON object."))
                kwargs["body"] = body.model_validate(data)
            if query is not None:
                kwargs["query"] = query.model_validate(request.args.to_dict())
            if form is not None:
                kwargs["form"] = form.model_validate(request.form.to_dict())
            if upload is not None:
                kwargs["upload"] = _uploaded(upload)
            result = view(*args, **kwargs)
            if response is not None:
                result = shaped(response, result)
            return result, status

        wrapper.api_doc = doc  # type: ignore[attr-defined]
        return large_body("UPLOAD_MAX_BYTES")(wrapper) if upload is not None else wrapper

    return decorator


def shaped(response: type[BaseModel], result: Any) -> Any:
    """`result` (views, read by attribute, or mappings) in the shape `response` declares."""
    return response.model_validate(result, from_attributes=True).model_dump(
        mode="json", by_alias=True
    )


def _uploaded(spec: FileField) -> Upload:
    """The checked file of a multipart field or, for CSV, of a raw text/csv body."""
    if spec.name not in request.files and spec.raw_csv and request.mimetype == "text/csv":
        return checked_upload("upload.csv", request.stream, spec.types)
    return read_upload(request.files.get(spec.name), spec.types)


class ErrorBody(BaseModel):
    """Every API error: a stable code and a message in the caller's language."""

    error: str
    message: str


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _parameters(rule: str, doc: EndpointDoc) -> list[dict[str, Any]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": ID_MAX},
        }
        for name in re.findall(r"<int:([^<>]+)>", rule)
    ]
    if doc.query is not None:
        props = doc.query.model_json_schema()["properties"]
        required = set(doc.query.model_json_schema().get("required", []))
        params += [
            {"name": name, "in": "query", "required": name in required, "schema": schema}
            for name, schema in props.items()
        ]
    return params


def _multipart(upload: FileField, form: type[BaseModel] | None) -> dict[str, Any]:
    """The request body of an upload: its file and form fields, or a raw CSV."""
    fields = form.model_json_schema() if form is not None else {}
    schema = {
        "type": "object",
        "properties": {
            **fields.get("properties", {}),
            upload.name: {"type": "string", "format": "binary"},
        },
        "required": [*fields.get("required", []), upload.name],
    }
    content: dict[str, Any] = {"multipart/form-data": {"schema": schema}}
    if upload.raw_csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"required": True, "content": content}


def build_openapi(app: Flask, prefix: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every `endpoint` under `prefix`, from the code itself."""
    views = []
    for rule in app.url_map.iter_rules():
        doc = getattr(app.view_functions[rule.endpoint], "api_doc", None)
        if rule.rule.startswith(prefix) and doc is not None:
            views.append((rule, doc))
    inputs = {d.body for _, d in views if d.body is not None}
    outputs = {d.response for _, d in views if d.response is not None} | {ErrorBody}
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)),
        *((m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)),
    ]
    keyed, definitions = models_json_schema(modes, ref_template="#/components/schemas/{model}")
    ref = {m: keyed[(m, mode)] for m, mode in modes}
    paths: dict[str, dict[str, Any]] = {}
    for rule, doc in sorted(views, key=lambda v: v[0].rule):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
                "summary": doc.summary,
                "responses": {
                    str(doc.status): {
                        "description": "OK",
                        **(
                            {"content": {"application/json": {"schema": ref[doc.response]}}}
                            if doc.response
                            else {}
                        ),
                    }
                },
            }
            if not doc.public:
                op["security"] = [{"bearerAuth": []}]
            params = _parameters(rule.rule, doc)
            if params:
                op["parameters"] = params
            if doc.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref[doc.body]}},
                }
            if doc.upload is not None:
                op["requestBody"] = _multipart(doc.upload, doc.form)
            given = doc.body or doc.query or doc.form
            codes = set(doc.errors) | ({"bad_payload"} if given else set())
            if "<int:" in rule.rule:
                codes.add("not_found")  # no such id
            if doc.upload is not None or doc.body is not None:
                codes |= {"too_large"}  # MAX_CONTENT_LENGTH, or the upload's own limit
            if doc.upload is not None:
                codes |= {"bad_file"}
            if not doc.public:
                codes |= {"unauthorized"} | ({"forbidden"} if doc.roles else set())
            codes.add("database_unavailable")  # any operation, while the database restarts
            for status in sorted({ERRORS[c][0] for c in codes}):
                op["responses"][str(status)] = {
                    "description": ", ".join(sorted(c for c in codes if ERRORS[c][0] == status)),
                    "content": {"application/json": {"schema": ref[ErrorBody]}},
                }
            paths.setdefault(_path(rule.rule), {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "tracker API", "version": "1"},
        "servers": [{"url": prefix}],
        "paths": {p[len(prefix) :] or "/": ops for p, ops in paths.items()},
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
