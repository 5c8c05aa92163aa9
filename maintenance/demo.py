"""Demo data for the maintenance module (called by `flask demo` through the top-level demo.py)."""
from __future__ import annotations

from datetime import timedelta

from core.clock import now
from core.storage import store_bytes
from projects.models import Project
from deliverables.versions import add_version
from maintenance.faults import add_event, report_fault
from maintenance.records import create_event_record, list_records, materialize


def seed_maintenance_demo(project: Project, users: dict) -> None:
    """A few fault tickets in every state and some recurring records, relative to now."""
    t = now().replace(microsecond=0)
    pm, eng, ops, client = users["zhang.pm"], users["li.eng"], users["zhao.ops"], users["wang.client"]
    h = lambda n: timedelta(hours=n)  # noqa: E731

    done = report_fault(client, project, level=3, channel="phone", reported_at=t - h(240),
                        title="停车场道闸无法识别月卡", description="东门道闸对月卡车辆不抬杆，临时人工放行。")
    add_event(eng, done, "respond", at=t - h(239.5), note="已电话联系现场，远程查看日志。")
    add_event(eng, done, "restore", at=t - h(234), note="更新道闸白名单同步服务，已恢复。")
    add_event(client, done, "close", at=t - h(216), note="确认恢复。")

    late = report_fault(client, project, level=2, channel="email", reported_at=t - h(72),
                        title="能耗报表数据缺失", description="11月能耗月报中3号楼数据为空。")
    add_event(ops, late, "respond", at=t - h(70.5))
    add_event(ops, late, "restore", at=t - h(58), note="补采集并重算报表。")

    escalated = report_fault(client, project, level=4, channel="onsite", reported_at=t - h(30),
                             title="监控大屏字体显示不全", description="大屏右侧告警列表中文字体缺字。")
    add_event(eng, escalated, "respond", at=t - h(29))
    add_event(eng, escalated, "note", note="需更换字体包，等待甲方安排停机窗口。")

    report_fault(client, project, level=1, channel="phone", reported_at=t - h(2),
                 title="门禁系统全部离线", description="园区所有门禁控制器离线，影响人员通行。")

    materialize(project)
    items = list_records(project)
    weekly = [i for i in items if i.record_key == "daily_check_book"]
    for item in weekly[:-1][-2:]:  # the last two finished weeks, entered today (late)
        add_version(ops, item.deliverable, store_bytes(f"{item.deliverable.title}\n设备检查正常。\n".encode()),
                    f"{item.deliverable.title}.txt", note="周检记录")
    complaint = create_event_record(pm, project, "complaint_form", "投诉：道闸故障处理慢")
    add_version(pm, complaint, store_bytes("投诉内容：道闸故障处理慢\n处理结果：已恢复，客户满意。\n".encode()),
                "服务投诉受理表.txt", note="已处理")
