"""The units of the task table: canonical short name, full name and the aliases people use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agency:
    """A responsible unit. ``name`` is the canonical short name answers use."""

    name: str
    full_name: str
    aliases: tuple[str, ...]
    generic: bool = False  # a class of bodies (市有关部门, 行业协会), not one named agency

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every spelling that names this unit, with and without the 市 / 六安市 prefix."""
        names: dict[str, None] = {}
        for n in (self.name, self.full_name, *self.aliases):
            names.setdefault(n, None)
            if n.startswith("六安市"):
                names.setdefault("市" + n[3:], None)
                names.setdefault(n[3:], None)
            elif n.startswith("市") and len(n) > 2:
                names.setdefault("六安" + n, None)
                names.setdefault(n[1:], None)
        return tuple(names)


AGENCIES: tuple[Agency, ...] = (
    Agency(
        "市发改委",
        "六安市发展和改革委员会",
        ("市发展改革委", "市发展和改革委", "发展和改革委员会", "发展改革委员会", "发改部门", "发展改革部门"),
    ),
    Agency("市教育局", "六安市教育局", ("教育部门", "教育行政部门")),
    Agency("市科技局", "六安市科学技术局", ("科学技术局", "科技部门")),
    Agency(
        "市人社局",
        "六安市人力资源和社会保障局",
        (
            "市人力资源社会保障局",
            "市人力资源和社会保障局",
            "人力资源和社会保障局",
            "人力资源社会保障局",
            "人社部门",
            "人力资源社会保障部门",
            "人力社保局",
            "人力资源社保局",
            "人社",
        ),
    ),
    Agency("市经信委", "六安市经济和信息化委员会", ("经济和信息化委员会", "经济和信息化委", "经信部门")),
    Agency("市财政局", "六安市财政局", ("财政部门",)),
    Agency("市金融办", "六安市人民政府金融工作办公室", ("市政府金融办", "金融工作办公室", "金融办公室")),
    Agency("市国资委", "六安市人民政府国有资产监督管理委员会", ("国有资产监督管理委员会", "国资部门")),
    Agency("市工商联", "六安市工商业联合会", ("工商业联合会",)),
    Agency("市总工会", "六安市总工会", ("工会",)),
    Agency("市编办", "六安市机构编制委员会办公室", ("机构编制委员会办公室", "编制办", "编委办")),
    Agency("市国税局", "六安市国家税务局", ("国家税务局",)),
    Agency("市地税局", "六安市地方税务局", ("地方税务局",)),
    Agency("市国土局", "六安市国土资源局", ("国土资源局", "国土部门", "国土资源部门")),
    Agency(
        "人行六安中心支行",
        "中国人民银行六安市中心支行",
        (
            "人行六安市中心支行",
            "人民银行六安中心支行",
            "人民银行六安市中心支行",
            "中国人民银行六安中心支行",
            "人民银行",
            "人行",
            "央行",
        ),
    ),
    Agency(
        "六安银监分局",
        "中国银行业监督管理委员会六安监管分局",
        ("银监会六安监管分局", "六安银监局", "银监分局", "银监局", "银监部门", "银监会"),
    ),
    Agency(
        "各县区政府（管委）",
        "各县区人民政府和开发区、示范园区管委",
        (
            "各县区政府(管委)",
            "各县区政府",
            "县区政府",
            "各县区人民政府",
            "县区人民政府",
            "各县(区)政府",
            "县政府",
            "区政府",
            "县区",
            "县里",
            "区县",
            "区县政府",
            "县里政府",
            "管委会",
            "管委",
        ),
    ),
    Agency("各高职院校", "各高等职业院校", ("高职院校", "高等职业院校", "高职学校", "高职")),
    Agency("市有关部门", "市有关部门", ("有关部门", "相关部门", "市相关部门", "市直有关部门"), generic=True),
    Agency("行业协会", "行业协会", ("协会", "各行业协会"), generic=True),
)

_BY_NAME: dict[str, Agency] = {}
for _agency in AGENCIES:
    for _n in _agency.all_names:
        if _n in _BY_NAME and _BY_NAME[_n] is not _agency:
            raise ValueError(f"alias {_n!r} names both {_BY_NAME[_n].name} and {_agency.name}")
        _BY_NAME[_n] = _agency


def agency(name: str) -> Agency:
    """The agency with this canonical name; KeyError names the bad value."""
    for a in AGENCIES:
        if a.name == name:
            return a
    raise KeyError(f"no agency named {name!r}")


def resolve(text: str) -> Agency | None:
    """The agency a whole string names (any alias, either punctuation width), or None."""
    key = text.strip().replace("(", "（").replace(")", "）")
    return _BY_NAME.get(key) or _BY_NAME.get(text.strip())


def alias_table() -> dict[str, Agency]:
    """Every alias → its agency (a copy), for scanning free text."""
    return dict(_BY_NAME)
