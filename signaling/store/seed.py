"""The starting service catalog (Simplified Chinese with English names).

:func:`seed_catalog` inserts the departments and services below that are
missing and never touches rows that exist, so admins' edits survive a re-run
of ``xiaowu-admin init``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .catalog import materials_json
from .records import Material
from .tables import Department, Service

__all__ = ["SeedDepartment", "SeedService", "CATALOG", "seed_catalog"]


@dataclass(frozen=True)
class SeedService:
    id: str
    name: str
    name_en: str
    description: str
    materials: tuple[Material, ...]


@dataclass(frozen=True)
class SeedDepartment:
    id: str
    name: str
    name_en: str
    prefix: str
    services: tuple[SeedService, ...]


def _m(name: str, name_en: str, copies: int | None = None, note: str | None = None) -> Material:
    return Material(name=name, name_en=name_en, copies=copies, note=note)


ID_CARD = _m("居民身份证原件", "Resident ID card (original)")
HUKOU = _m("户口簿", "Household register (hukou booklet)")
MARRIAGE = _m(
    "婚姻状况证明",
    "Proof of marital status",
    note="结婚证、离婚证或单身声明 / marriage or divorce certificate",
)
LICENSE_COPY = _m("营业执照副本复印件", "Copy of business licence (duplicate)", copies=1)
BANK_CARD = _m("本人银行卡", "Applicant's bank card", note="用于发放补贴 / for subsidy payment")
PHOTO = _m("近期二寸免冠彩色照片", "Recent 2-inch colour photo, bareheaded", copies=3)

CATALOG: tuple[SeedDepartment, ...] = (
    SeedDepartment(
        "housing",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
        "A",
        (
            SeedService(
                "housing.public_rental",
                "公租房申请",
                "Public rental housing application",
                "符合条件的住房困难家庭申请公共租赁住房，坐席可视化辅导填表。",
                (
                    ID_CARD,
                    HUKOU,
                    MARRIAGE,
                    _m(
                        "家庭成员收入证明",
                        "Household income certificates",
                        note="近12个月 / last 12 months",
                    ),
                    _m("公共租赁住房申请表", "Public rental housing application form", copies=1),
                ),
            ),
            SeedService(
                "housing.provident_fund",
                "住房公积金提取咨询",
                "Housing provident fund withdrawal",
                "购房、租房、退休等情形提取住房公积金的条件与材料咨询。",
                (
                    ID_CARD,
                    _m("住房公积金联名卡", "Provident fund co-branded bank card"),
                    _m("购房合同或租赁合同", "House purchase or rental contract"),
                    MARRIAGE,
                ),
            ),
            SeedService(
                "housing.rental_subsidy",
                "住房租赁补贴申请",
                "Rental housing subsidy application",
                "低收入住房困难家庭申请住房租赁货币补贴。",
                (
                    ID_CARD,
                    HUKOU,
                    _m("房屋租赁合同", "Housing rental contract"),
                    _m("收入证明", "Income certificate"),
                    BANK_CARD,
                ),
            ),
            SeedService(
                "housing.property_service",
                "物业服务投诉与咨询",
                "Property management enquiries",
                "小区物业服务、维修资金使用等问题的咨询与投诉受理。",
                (
                    ID_CARD,
                    _m("房屋产权证明", "Proof of property ownership", note="或租赁合同 / or lease"),
                    _m("相关照片或书面材料", "Photos or written evidence", note="如有 / if any"),
                ),
            ),
        ),
    ),
    SeedDepartment(
        "emergency",
        "应急管理局",
        "Emergency Management Bureau",
        "B",
        (
            SeedService(
                "emergency.safety_permit",
                "安全生产许可咨询",
                "Work safety licence consultation",
                "非煤矿山、危险化学品等企业安全生产许可证申领、延续的咨询。",
                (
                    LICENSE_COPY,
                    _m("安全生产许可证申请书", "Work safety licence application", copies=1),
                    _m("安全生产责任制文件", "Work safety responsibility documents"),
                    _m("主要负责人安全培训合格证", "Safety training certificate of the principal"),
                ),
            ),
            SeedService(
                "emergency.hazchem_permit",
                "危险化学品经营许可咨询",
                "Hazardous chemicals trading licence",
                "危险化学品经营许可证（不带储存）申请条件与流程辅导。",
                (
                    LICENSE_COPY,
                    ID_CARD,
                    _m("经营场所产权或租赁证明", "Proof of premises ownership or lease"),
                    _m("安全管理制度和岗位操作规程", "Safety rules and operating procedures"),
                ),
            ),
            SeedService(
                "emergency.training_cert",
                "安全培训证书查询与补办",
                "Safety training certificate reissue",
                "特种作业操作证、安全管理人员证书的查询、补办与复审咨询。",
                (ID_CARD, PHOTO, _m("原证书或遗失声明", "Original certificate or loss statement")),
            ),
        ),
    ),
    SeedDepartment(
        "market",
        "市场监督管理局",
        "Market Supervision Administration",
        "C",
        (
            SeedService(
                "market.individual_business",
                "个体工商户设立登记",
                "Individual business registration",
                "个体工商户开业登记，可视化辅导填写申请书并核验身份。",
                (
                    _m("经营者居民身份证原件", "Operator's resident ID card (original)"),
                    _m("个体工商户登记申请书", "Individual business registration form", copies=1),
                    _m(
                        "经营场所使用证明",
                        "Proof of right to use the premises",
                        note="产权证明或租赁合同 / title deed or lease",
                    ),
                ),
            ),
            SeedService(
                "market.food_license",
                "食品经营许可",
                "Food business licence",
                "餐饮服务、食品销售经营许可的新办、变更与延续。",
                (
                    LICENSE_COPY,
                    _m("法定代表人或负责人身份证", "ID card of the legal representative"),
                    _m("食品经营许可申请书", "Food business licence application", copies=1),
                    _m("经营场所平面布局图和设备布局图", "Floor plan and equipment layout"),
                    _m("食品安全管理制度", "Food safety management rules"),
                ),
            ),
            SeedService(
                "market.company_change",
                "企业变更登记",
                "Company change registration",
                "企业名称、住所、法定代表人、经营范围等事项的变更登记。",
                (
                    LICENSE_COPY,
                    _m("变更登记申请书", "Change registration application", copies=1),
                    _m("股东会决议或决定", "Shareholders' resolution or decision"),
                    ID_CARD,
                ),
            ),
            SeedService(
                "market.consumer_complaint",
                "消费投诉举报",
                "Consumer complaints and reports",
                "消费纠纷投诉与违法经营行为举报受理。",
                (
                    ID_CARD,
                    _m("购物凭证或发票", "Receipt or invoice"),
                    _m(
                        "相关证据材料",
                        "Supporting evidence",
                        note="照片、聊天记录等 / photos, chats",
                    ),
                ),
            ),
        ),
    ),
    SeedDepartment(
        "planning",
        "规划和自然资源分局",
        "Planning and Natural Resources Sub-bureau",
        "D",
        (
            SeedService(
                "planning.real_estate",
                "不动产登记咨询",
                "Real estate registration consultation",
                "房屋买卖、继承、抵押等不动产登记的条件与材料咨询。",
                (
                    ID_CARD,
                    HUKOU,
                    MARRIAGE,
                    _m("不动产权证书", "Real estate title certificate"),
                    _m("购房合同或继承公证书", "Purchase contract or inheritance notarial deed"),
                    _m("完税证明", "Tax payment certificate"),
                ),
            ),
            SeedService(
                "planning.homestead",
                "农村宅基地建房审批咨询",
                "Rural homestead housing approval",
                "农村村民宅基地和建房（规划许可）申请的条件与流程辅导。",
                (
                    ID_CARD,
                    HUKOU,
                    _m(
                        "农村宅基地和建房（规划许可）申请表",
                        "Homestead and building application form",
                        copies=1,
                    ),
                    _m("村民小组会议记录", "Village group meeting minutes"),
                ),
            ),
            SeedService(
                "planning.construction_permit",
                "建设工程规划许可咨询",
                "Construction planning permit",
                "建设工程规划许可证申请材料与审批流程咨询。",
                (
                    LICENSE_COPY,
                    _m("建设工程规划许可申请表", "Planning permit application form", copies=1),
                    _m("建设工程设计方案", "Construction design scheme"),
                    _m("土地权属证明", "Proof of land rights"),
                ),
            ),
        ),
    ),
    SeedDepartment(
        "disabled",
        "残疾人联合会",
        "Disabled Persons' Federation",
        "E",
        (
            SeedService(
                "disabled.certificate",
                "残疾人证办理",
                "Disability certificate application",
                "第二代残疾人证新办、换领、补办及残疾评定预约。",
                (
                    ID_CARD,
                    HUKOU,
                    PHOTO,
                    _m("残疾人证申请表", "Disability certificate application form", copies=1),
                    _m("病历或诊断证明", "Medical records or diagnosis", note="如有 / if any"),
                ),
            ),
            SeedService(
                "disabled.two_subsidies",
                "残疾人两项补贴申请",
                "Disability living and care subsidies",
                "困难残疾人生活补贴和重度残疾人护理补贴申请。",
                (
                    _m("第二代残疾人证", "Disability certificate (2nd generation)"),
                    ID_CARD,
                    HUKOU,
                    BANK_CARD,
                    _m(
                        "残疾人两项补贴申请审批表",
                        "Subsidy application and approval form",
                        copies=1,
                    ),
                ),
            ),
            SeedService(
                "disabled.assistive_devices",
                "辅助器具适配申请",
                "Assistive device fitting",
                "轮椅、助听器、假肢等辅助器具的评估与适配补贴申请。",
                (
                    _m("第二代残疾人证", "Disability certificate (2nd generation)"),
                    ID_CARD,
                    _m("辅助器具适配申请表", "Assistive device application form", copies=1),
                ),
            ),
        ),
    ),
    SeedDepartment(
        "identity",
        "统一身份核验",
        "Unified identity verification",
        "F",
        (
            SeedService(
                "identity.face_check",
                "人脸身份核验",
                "Face identity verification",
                "办事人现场比对居民身份证与人像，完成实名核验。",
                (ID_CARD,),
            ),
            SeedService(
                "identity.account_recovery",
                "政务服务账号找回与解锁",
                "Government account recovery",
                "政务服务网、政务APP账号实名信息核验、找回与解锁。",
                (ID_CARD, _m("本人实名登记的手机", "Mobile phone registered in own name")),
            ),
            SeedService(
                "identity.proxy",
                "委托代办身份核验",
                "Proxy identity verification",
                "委托他人代办事项时对委托人与受托人的身份核验。",
                (
                    _m("委托人居民身份证原件", "Principal's ID card (original)"),
                    _m("受托人居民身份证原件", "Agent's ID card (original)"),
                    _m("授权委托书", "Power of attorney", copies=1),
                ),
            ),
        ),
    ),
    SeedDepartment(
        "policy",
        "政策兑现指导",
        "Policy fulfilment guidance",
        "G",
        (
            SeedService(
                "policy.enterprise_support",
                "惠企政策兑现",
                "Enterprise support policy fulfilment",
                "惠企政策免申即享、申报兑现的条件查询与材料辅导。",
                (
                    LICENSE_COPY,
                    _m("政策兑现申报表", "Policy fulfilment application form", copies=1),
                    _m("企业银行开户信息", "Company bank account details"),
                    _m("相关佐证材料", "Supporting documents", note="按政策要求 / per policy"),
                ),
            ),
            SeedService(
                "policy.employment_subsidy",
                "就业创业补贴申请指导",
                "Employment and start-up subsidies",
                "一次性创业补贴、社会保险补贴、职业培训补贴的申请辅导。",
                (
                    ID_CARD,
                    LICENSE_COPY,
                    BANK_CARD,
                    _m("社会保险缴费证明", "Social insurance payment record"),
                ),
            ),
            SeedService(
                "policy.talent_housing",
                "人才住房补贴申请指导",
                "Talent housing subsidy guidance",
                "引进人才租房补贴、购房补贴的条件与申报流程指导。",
                (
                    ID_CARD,
                    _m("学历学位证书", "Diploma and degree certificates"),
                    _m("劳动合同", "Employment contract"),
                    _m("购房合同或租赁合同", "House purchase or rental contract"),
                ),
            ),
        ),
    ),
)


async def seed_catalog(session: AsyncSession) -> bool:
    """Insert the missing seed departments and services; ``True`` if anything was added.

    A seed department whose ticket prefix another department already holds is
    skipped with its services (an admin chose that prefix deliberately)."""
    depts = {d.id: d for d in (await session.scalars(select(Department))).all()}
    taken = {d.ticket_prefix for d in depts.values()}
    services = set((await session.scalars(select(Service.id))).all())
    added = False
    for order, seed in enumerate(CATALOG, start=1):
        if seed.id not in depts:
            if seed.prefix in taken:
                continue
            session.add(
                Department(
                    id=seed.id,
                    name=seed.name,
                    name_en=seed.name_en,
                    ticket_prefix=seed.prefix,
                    sort_order=order * 10,
                    active=True,
                )
            )
            taken.add(seed.prefix)
            added = True
        for s_order, svc in enumerate(seed.services, start=1):
            if svc.id in services:
                continue
            session.add(
                Service(
                    id=svc.id,
                    department_id=seed.id,
                    name=svc.name,
                    name_en=svc.name_en,
                    description=svc.description,
                    materials=materials_json(svc.materials),
                    sort_order=s_order * 10,
                    active=True,
                )
            )
            added = True
    await session.flush()
    return added
