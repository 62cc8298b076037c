"""The service catalog: departments (each with its ticket-number prefix) and
their services with the materials a resident must bring."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .errors import Conflict, NotFound
from .meta import bump_revision
from .records import DepartmentRecord, Material, ServiceRecord
from .tables import Department, Service

__all__ = ["CatalogOps", "service_record", "department_record", "materials_json"]

_DEPT_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SERVICE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,30}\.[a-z0-9][a-z0-9_.-]{0,31}$")
_PREFIX = re.compile(r"^[A-Z]$")


def service_record(svc: Service) -> ServiceRecord:
    return ServiceRecord(
        id=svc.id,
        department_id=svc.department_id,
        name=svc.name,
        name_en=svc.name_en,
        description=svc.description,
        materials=tuple(Material.from_json(m) for m in svc.materials),
        sort_order=svc.sort_order,
        active=svc.active,
    )


def department_record(dept: Department, services: Iterable[Service] = ()) -> DepartmentRecord:
    return DepartmentRecord(
        id=dept.id,
        name=dept.name,
        name_en=dept.name_en,
        ticket_prefix=dept.ticket_prefix,
        sort_order=dept.sort_order,
        active=dept.active,
        services=tuple(service_record(s) for s in services),
    )


def materials_json(materials: Iterable[Material | dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate materials given as records or JSON objects; returns the stored form."""
    return [(m if isinstance(m, Material) else Material.from_json(m)).to_json() for m in materials]


async def _departments(
    s: AsyncSession, active_only: bool, dept_id: str | None = None
) -> list[DepartmentRecord]:
    dq = select(Department).order_by(Department.sort_order, Department.id)
    sq = select(Service).order_by(Service.sort_order, Service.id)
    if active_only:
        dq = dq.where(Department.active.is_(True))
        sq = sq.where(Service.active.is_(True))
    if dept_id is not None:
        dq = dq.where(Department.id == dept_id)
        sq = sq.where(Service.department_id == dept_id)
    depts = (await s.scalars(dq)).all()
    by_dept: dict[str, list[Service]] = {d.id: [] for d in depts}
    for svc in (await s.scalars(sq)).all():
        if svc.department_id in by_dept:
            by_dept[svc.department_id].append(svc)
    return [department_record(d, by_dept[d.id]) for d in depts]


class CatalogOps(StoreBase):
    async def get_catalog(self) -> list[DepartmentRecord]:
        """Active departments with their active services, in display order."""
        async with self._db.read() as s:
            return await _departments(s, active_only=True)

    async def list_departments(self) -> list[DepartmentRecord]:
        """Every department (active or not) with every service, for admins."""
        async with self._db.read() as s:
            return await _departments(s, active_only=False)

    async def get_department(self, department_id: str) -> DepartmentRecord:
        async with self._db.read() as s:
            found = await _departments(s, active_only=False, dept_id=department_id)
        if not found:
            raise NotFound(f"no department {department_id!r}")
        return found[0]

    async def get_service(self, service_id: str) -> ServiceRecord:
        """The service, active or not (the caller checks ``active``)."""
        async with self._db.read() as s:
            svc = await s.get(Service, service_id)
            if svc is None:
                raise NotFound(f"no service {service_id!r}")
            return service_record(svc)

    async def upsert_department(
        self,
        department_id: str,
        name: str,
        ticket_prefix: str,
        name_en: str = "",
        sort_order: int = 0,
        active: bool = True,
    ) -> DepartmentRecord:
        """Create or replace a department. ``Conflict`` if another department has
        the ticket prefix (one capital letter)."""
        if not _DEPT_ID.match(department_id):
            raise ValueError(f"invalid department id {department_id!r}")
        if not _PREFIX.match(ticket_prefix):
            raise ValueError(f"ticket prefix must be one capital letter, got {ticket_prefix!r}")
        if not name.strip():
            raise ValueError("department name is empty")
        async with self._db.write() as s:
            holder = await s.scalar(
                select(Department.id).where(Department.ticket_prefix == ticket_prefix)
            )
            if holder is not None and holder != department_id:
                raise Conflict(f"ticket prefix {ticket_prefix} belongs to {holder!r}")
            dept = await s.get(Department, department_id)
            if dept is None:
                dept = Department(id=department_id)
                s.add(dept)
            dept.name = name.strip()
            dept.name_en = name_en.strip()
            dept.ticket_prefix = ticket_prefix
            dept.sort_order = sort_order
            dept.active = active
            await s.flush()
            await bump_revision(s)
            return (await _departments(s, active_only=False, dept_id=department_id))[0]

    async def upsert_service(
        self,
        service_id: str,
        department_id: str,
        name: str,
        name_en: str = "",
        description: str = "",
        materials: Sequence[Material | dict[str, Any]] = (),
        sort_order: int = 0,
        active: bool = True,
    ) -> ServiceRecord:
        """Create or replace a service (id like ``housing.public_rental``);
        ``NotFound`` for an unknown department."""
        if not _SERVICE_ID.match(service_id):
            raise ValueError(f"invalid service id {service_id!r} (want dept.name)")
        if not name.strip():
            raise ValueError("service name is empty")
        stored = materials_json(materials)
        async with self._db.write() as s:
            if await s.get(Department, department_id) is None:
                raise NotFound(f"no department {department_id!r}")
            svc = await s.get(Service, service_id)
            if svc is None:
                svc = Service(id=service_id)
                s.add(svc)
            svc.department_id = department_id
            svc.name = name.strip()
            svc.name_en = name_en.strip()
            svc.description = description
            svc.materials = stored
            svc.sort_order = sort_order
            svc.active = active
            await s.flush()
            await bump_revision(s)
            return service_record(svc)

    async def deactivate_service(self, service_id: str) -> None:
        """Hide a service from the catalog; tickets that name it keep working."""
        async with self._db.write() as s:
            svc = await s.get(Service, service_id)
            if svc is None:
                raise NotFound(f"no service {service_id!r}")
            svc.active = False
            await bump_revision(s)

    async def deactivate_department(self, department_id: str) -> None:
        async with self._db.write() as s:
            dept = await s.get(Department, department_id)
            if dept is None:
                raise NotFound(f"no department {department_id!r}")
            dept.active = False
            await bump_revision(s)
