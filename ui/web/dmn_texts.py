"""The words of the dmn-js decision-table editor in the page's language: dmn-js asks its `translate` service for
each English text; ui/static/js/dmn-editor.js answers from this table (English through Flask-Babel)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DMN_TEXTS = {
    "Add cell description": _l("添加单元格说明"), "Remove cell description": _l("删除单元格说明"),
    "Add input column left": _l("在左侧添加输入列"), "Add input column right": _l("在右侧添加输入列"),
    "Add output column left": _l("在左侧添加输出列"), "Add output column right": _l("在右侧添加输出列"),
    "Add input": _l("添加输入"), "Add output": _l("添加输出"),
    "Add rule above": _l("在上方添加规则"), "Add rule below": _l("在下方添加规则"), "Add rule": _l("添加规则"),
    "Copy input column": _l("复制输入列"), "Copy output column": _l("复制输出列"), "Copy rule": _l("复制规则"),
    "Cut input column": _l("剪切输入列"), "Cut output column": _l("剪切输出列"), "Cut rule": _l("剪切规则"),
    "Paste input column left": _l("粘贴输入列到左侧"), "Paste input column right": _l("粘贴输入列到右侧"),
    "Paste output column left": _l("粘贴输出列到左侧"), "Paste output column right": _l("粘贴输出列到右侧"),
    "Paste rule above": _l("粘贴规则到上方"), "Paste rule below": _l("粘贴规则到下方"),
    "Remove input column": _l("删除输入列"), "Remove output column": _l("删除输出列"), "Remove rule": _l("删除规则"),
    "Move rule": _l("移动规则"), "Annotation": _l("说明"), "Annotations": _l("各条说明"),
    "Hit policy": _l("命中策略"), "Hit policy:": _l("命中策略："), "Decision name": _l("决策名称"),
    "Decision name: ": _l("决策名称："), "Input": _l("输入"), "Output": _l("输出"), "When": _l("当"),
    "And": _l("且"), "Then": _l("则"), "Input label": _l("输入标签"), "Input label: ": _l("输入标签："),
    "Input expression": _l("输入表达式"), "Input expression: ": _l("输入表达式："), "Input type": _l("输入类型"),
    "Input values": _l("输入值"), "Output label": _l("输出标签"), "Output label: ": _l("输出标签："),
    "Output name": _l("输出变量名"), "Output name: ": _l("输出变量名："), "Output type": _l("输出类型"),
    "Output values": _l("输出值"), "Expression": _l("表达式"), "Expression language": _l("表达式语言"),
    "Expression language:": _l("表达式语言："), "Type": _l("类型"), "Value": _l("值"), "Values": _l("各个值"),
    "Edit": _l("编辑"), "Edit input": _l("编辑输入"), "Edit output": _l("编辑输出"), "Edit string": _l("编辑文本"),
    "Edit number": _l("编辑数字"), "Edit boolean": _l("编辑布尔值"), "Enter expression": _l("请输入表达式"),
    "Strings must be in double quotes": _l("文本须加双引号"), "Yes": _l("是"), "No": _l("否"),
    "Equals": _l("等于"), "Comparison": _l("比较"), "Range": _l("区间"), "Less": _l("小于"),
    "Less or equals": _l("小于等于"), "Greater": _l("大于"), "Greater or equals": _l("大于等于"),
    "Predefined values": _l("预设值"), "Add predefined values": _l("添加预设值"),
    "Clear predefined values": _l("清除预设值"), "Add values": _l("添加值"), "No values": _l("没有值"),
    "Match one": _l("匹配其一"), "Match none": _l("都不匹配"), "Include": _l("包含"), "Exclude": _l("排除"),
    "Set value": _l("设定值"), "String value": _l("文本值"), "Boolean value": _l("布尔值"), "name": _l("名称"),
    "Variable name": _l("变量名"), "Variable name:": _l("变量名："), "Variable type": _l("变量类型"),
    "Variable type:": _l("变量类型："), "View DRD": _l("查看决策需求图"), "Resize": _l("调整宽度"),
    "Change cell expression language": _l("更改单元格表达式语言"), "Test type": _l("检验方式"),
}
