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
from pydantic.json_schema import models_json_schema

from tracker.auth import current_principal
from tracker.errors import ERRORS, fail


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
    upload: str | None = None  # name of a multipart file field the view receives as bytes


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
    upload: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check the caller, parse `body`/`query`/`upload` into the view's kwargs, shape its result."""
    doc = EndpointDoc(summary, body, query, response, status, roles, public, errors, upload)

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
            if upload is not None:
                kwargs["upload"] = _uploaded(upload)
            result = view(*args, **kwargs)
            if response is not None:
                result = response.model_validate(result).model_dump(mode="json", by_alias=True)
            return result, status

        wrapper.api_doc = doc  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _uploaded(field_name: str) -> bytes:
    """The bytes of a multipart file field, or of a raw text/csv body."""
    file = request.files.get(field_name)
    if file is not None:
        return file.read()
    if request.mimetype == "text/csv" and request.content_length:
        return request.get_data()
    fail("bad_payload", _l("Attach the file to upload."))


class ErrorBody(BaseModel):
    """Every API error: a stable code and a message in the caller's language."""

    error: str
    message: str


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _parameters(rule: str, doc: EndpointDoc) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
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


def build_openapi(app: Flask, prefix: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every `endpoint` under `prefix`, from the code itself."""
    views = []
    for rule in app.url_map.iter_rules():
        doc = getattr(app.view_functions[rule.endpoint], "api_doc", None)
        if rule.rule.startswith(prefix) and doc is not None:
            views.append((rule, doc))
    models = {m for _, d in views for m in (d.body, d.response) if m is not None} | {ErrorBody}
    keyed, definitions = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    ref = {m: keyed[(m, "validation")] for m in models}
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
                file_schema = {"type": "string", "format": "binary"}
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {doc.upload: file_schema},
                                "required": [doc.upload],
                            }
                        },
                        "text/csv": {"schema": {"type": "string"}},
                    },
                }
            inputs = doc.body or doc.query or doc.upload
            codes = set(doc.errors) | ({"bad_payload"} if inputs else set())
            if not doc.public:
                codes |= {"unauthorized"} | ({"forbidden"} if doc.roles else set())
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
