"""The demo plugin's tool: how many models of a category are in stock somewhere.

A plugin tool is a :class:`twinchat.inventory.tools.Tool` — a pydantic argument model and a
function over the world — exported under the entry-point group ``twinchat.tools`` with the
tool's own name::

    [project.entry-points."twinchat.tools"]
    count_in_stock = "twinchat_demo_plugin.tools:COUNT_IN_STOCK"
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.tools import Tool, ToolContext, tool_error

__all__ = ["COUNT_IN_STOCK"]

_CATEGORY = ("SELECT id, name FROM categories WHERE id = ?1 OR name = ?1 "
             "OR EXISTS (SELECT 1 FROM json_each(categories.aliases) WHERE value = ?1)")
_IN_STOCK = ("SELECT COUNT(DISTINCT p.id) FROM products p JOIN stock s ON s.product_id = p.id "
             "WHERE p.category = ? AND s.qty > 0")


class CountInStockArgs(BaseModel):
    """Arguments of count_in_stock."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="商品品类,如 内存条、固态硬盘、充电器(品类编号、名称或常用叫法)")


def _count_in_stock(ctx: ToolContext, args: CountInStockArgs) -> dict[str, Any]:
    found = ctx.conn.execute(_CATEGORY, (args.category.strip(),)).fetchone()
    if found is None:
        return tool_error("unknown_category", f"没有品类“{args.category}”", "category")
    category_id, name = found[0], found[1]
    (count,) = ctx.conn.execute(_IN_STOCK, (category_id,)).fetchone()
    return {"category": name, "count": count}


COUNT_IN_STOCK = Tool(
    name="count_in_stock",
    description="统计某个品类目前有现货(至少一个仓库有库存)的商品款数",
    args_model=CountInStockArgs,
    func=_count_in_stock,
)
