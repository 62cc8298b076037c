"""The choosing screen: department tiles -> service list -> materials and 取号.

Which of the three pages shows follows ``view.department_id`` and
``view.service_id`` alone; the back button is the engine's ``back`` intent
(one step up, or home from the department tiles).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booth_client.session import BoothView, DepartmentItem, ServiceItem
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import (
    Act,
    ScreenBase,
    button,
    clear_layout,
    dept_name,
    find_service,
    label,
    scroll_area,
    service_materials,
    service_name,
    set_min_height,
    set_prop,
    set_text,
)

__all__ = ["ChooseScreen", "grid_columns"]

_CENTER = Qt.AlignmentFlag.AlignCenter
PAGE_DEPARTMENTS, PAGE_SERVICES, PAGE_MATERIALS = 0, 1, 2


def grid_columns(count: int) -> int:
    """Tiles per row: big tiles for a few departments, three across for more."""
    return 2 if count <= 4 else 3 if count <= 9 else 4


def _tile(name: str, title: str, sub: str, on_click: Callable[[], None], *,
          chevron: bool = False, min_height: int = 180) -> QPushButton:
    """A big touch tile whose text is laid out with labels (a button has one font)."""
    tile = button("tile", name=name, on_click=on_click)
    set_min_height(tile, min_height)
    row = QHBoxLayout(tile)
    row.setContentsMargins(40, 20, 32, 20)
    col = QVBoxLayout()
    col.setSpacing(6)
    t = label("tile-title", title)
    s = label("tile-sub", sub)
    col.addStretch(1)
    col.addWidget(t)
    col.addWidget(s)
    col.addStretch(1)
    row.addLayout(col, 1)
    if chevron:
        row.addWidget(label("chevron", "›", wrap=False))
    for lab in (t, s):
        lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
    tile.setAccessibleName(title)
    return tile


class ChooseScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__(act, toggle_lang)
        self.back = button("secondary", name="choose.back", on_click=lambda: self.act("back"))
        self.back.setMinimumWidth(260)
        self.title = label("title", name="choose.title", align=_CENTER)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._departments_page())
        self.pages.addWidget(self._services_page())
        self.pages.addWidget(self._materials_page())

        root = QVBoxLayout(self)
        root.setContentsMargins(56, 24, 56, 32)
        root.setSpacing(24)
        head = QHBoxLayout()
        head.setSpacing(24)
        head.addWidget(self.back)
        head.addWidget(self.title, 1)
        head.addWidget(self.lang_button)
        root.addLayout(head)
        root.addWidget(self.pages, 1)
        self._built: dict[int, object] = {}

    # ------------------------------------------------------------------ pages

    def _departments_page(self) -> QWidget:
        content = QWidget()
        col = QVBoxLayout(content)
        col.setContentsMargins(0, 8, 0, 0)
        self.loading = label("subtitle", name="choose.loading", align=_CENTER)
        col.addWidget(self.loading)
        self.dept_grid = QGridLayout()
        self.dept_grid.setSpacing(28)
        col.addLayout(self.dept_grid)
        col.addStretch(1)
        return scroll_area(content)

    def _services_page(self) -> QWidget:
        content = QWidget()
        col = QVBoxLayout(content)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(20)
        self.dept_label = label("subtitle", name="choose.department_name")
        col.addWidget(self.dept_label)
        self.service_list = QGridLayout()
        self.service_list.setSpacing(20)
        col.addLayout(self.service_list)
        col.addStretch(1)
        return scroll_area(content)

    def _materials_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(40)
        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(48, 32, 24, 32)
        inner.setSpacing(10)
        content = QWidget()
        listing = QVBoxLayout(content)
        listing.setContentsMargins(0, 0, 24, 0)
        listing.setSpacing(10)
        self.service_title = label("service-title", name="choose.service_name")
        self.materials_hint = label("hint", name="choose.materials_hint")
        listing.addWidget(self.service_title)
        listing.addWidget(self.materials_hint)
        listing.addSpacing(8)
        self.materials = QVBoxLayout()
        self.materials.setSpacing(14)
        listing.addLayout(self.materials)
        listing.addStretch(1)
        inner.addWidget(scroll_area(content))
        row.addWidget(card, 2)

        side = QVBoxLayout()
        side.addStretch(1)
        self.take = button("take", name="choose.take_ticket",
                           on_click=lambda: self.act("take_ticket"))
        self.take.setMinimumWidth(360)
        self.take_hint = label("hint", name="choose.take_hint",
                               align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.take_priority = button("secondary", name="choose.take_priority",
                                    on_click=lambda: self.act("take_priority_ticket"))
        self.take_priority.setMinimumWidth(360)
        self.priority_hint = label("hint", name="choose.priority_hint",
                                   align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        side.addWidget(self.take)
        side.addSpacing(20)
        side.addWidget(self.take_hint)
        side.addSpacing(36)
        side.addWidget(self.take_priority)
        side.addSpacing(12)
        side.addWidget(self.priority_hint)
        side.addStretch(1)
        row.addLayout(side, 1)
        return page

    # ------------------------------------------------------------------ drawing

    def draw(self, view: BoothView, lang: Lang) -> None:
        self.render_lang_button(lang)
        found = find_service(view, view.service_id)
        dept = next((d for d in view.departments if d.id == view.department_id), None)
        if found is not None:
            page, key = PAGE_MATERIALS, "choose.materials"
        elif dept is not None:
            page, key = PAGE_SERVICES, "choose.service"
        else:
            page, key = PAGE_DEPARTMENTS, "choose.department"
        set_text(self.title, tr(key, lang))
        set_text(self.back, tr("choose.home" if page == PAGE_DEPARTMENTS else "choose.back",
                               lang))
        if page == PAGE_DEPARTMENTS:
            self._draw_departments(view.departments, lang)
        elif page == PAGE_SERVICES:
            assert dept is not None
            self._draw_services(dept, lang)
        else:
            assert found is not None
            self._draw_materials(found[0], found[1], lang, view.busy)
        self.pages.setCurrentIndex(page)

    def _changed(self, page: int, key: object) -> bool:
        if self._built.get(page) == key:
            return False
        self._built[page] = key
        return True

    def _draw_departments(self, depts: tuple[DepartmentItem, ...], lang: Lang) -> None:
        set_text(self.loading, tr("choose.loading", lang))
        self.loading.setVisible(not depts)
        if not self._changed(PAGE_DEPARTMENTS, (depts, lang)):
            return
        clear_layout(self.dept_grid)
        cols = grid_columns(len(depts))
        for i, d in enumerate(depts):
            tile = _tile(f"choose.dept.{d.id}", dept_name(d, lang),
                         tr("choose.services_count", lang, n=len(d.services)),
                         partial(self.act, "department", d.id), chevron=True,
                         min_height=190 if cols > 2 else 240)
            self.dept_grid.addWidget(tile, i // cols, i % cols)
        for c in range(cols):
            self.dept_grid.setColumnStretch(c, 1)

    def _draw_services(self, dept: DepartmentItem, lang: Lang) -> None:
        if not self._changed(PAGE_SERVICES, (dept, lang)):
            return
        set_text(self.dept_label, dept_name(dept, lang))
        clear_layout(self.service_list)
        cols = 1 if len(dept.services) <= 4 else 2  # long lists: two columns
        for i, svc in enumerate(dept.services):
            tile = _tile(f"choose.service.{svc.id}", service_name(svc, lang),
                         tr("choose.materials_count", lang, n=len(svc.materials)),
                         partial(self.act, "service", svc.id),
                         chevron=True, min_height=112)
            self.service_list.addWidget(tile, i // cols, i % cols)
        for c in range(2):
            self.service_list.setColumnStretch(c, 1 if c < cols else 0)

    def _draw_materials(self, dept: DepartmentItem, svc: ServiceItem, lang: Lang,
                        busy: bool) -> None:
        set_text(self.take, tr("choose.taking" if busy else "choose.take_ticket", lang))
        set_prop(self.take, "lang", lang)
        set_text(self.take_hint, tr("choose.take_hint", lang))
        set_text(self.take_priority, tr("choose.take_priority", lang))
        set_text(self.priority_hint, tr("choose.priority_hint", lang))
        self.take.setEnabled(not busy)
        self.take_priority.setEnabled(not busy)
        if not self._changed(PAGE_MATERIALS, (dept.id, svc, lang)):
            return
        set_text(self.service_title, service_name(svc, lang))
        set_text(self.materials_hint, tr("choose.materials_hint", lang))
        clear_layout(self.materials)
        for i, text in enumerate(service_materials(svc, lang), start=1):
            row = QHBoxLayout()
            row.setSpacing(24)
            row.addWidget(label("material-no", str(i), align=_CENTER, wrap=False))
            row.addWidget(label("material", text, name=f"choose.material.{i}"), 1)
            self.materials.addLayout(row)

    def material_texts(self) -> list[str]:
        """The materials as drawn (tests and screenshots read them)."""
        out = []
        for i in range(1, 100):
            lab = self.findChild(QLabel, f"choose.material.{i}")
            if lab is None:
                break
            out.append(lab.text())
        return out

