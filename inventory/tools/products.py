"""``search_products``: find products of a category, optionally fitting a device, with features."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.catalog import feature_key
from twinchat.inventory.tools.base import Tool, ToolContext
from twinchat.inventory.tools.lookup import Catalog, resolve_category, resolve_device
from twinchat.inventory.tools.static import static_data
from twinchat.inventory.tools.stock import total_stock

__all__ = ["SearchProductsArgs", "SEARCH_PRODUCTS"]


class SearchProductsArgs(BaseModel):
    """Arguments of ``search_products``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(description="商品品类:本店商品目录中品类的名称或常用叫法")
    compatible_with: str | None = Field(
        default=None, description="需要兼容的设备型号(品牌和型号);不限则不填"
    )
    features: list[str] = Field(default_factory=list, description="必须具备的规格或特性(商品目录中列出的特性或规格);不限则不填")
    max_price: float | None = Field(default=None, gt=0, description="最高价格(元)")
    in_stock_only: bool = Field(default=False, description="是否只返回有货的商品")
    limit: int = Field(default=5, ge=1, le=20, description="最多返回几个商品")


_WHY_NONE = {
    ("memory", "slots"): "该机型内存为板载设计,无法加装或更换内存条",
    ("ssd", "bays"): "该机型没有可用的硬盘位",
}


def _search(ctx: ToolContext, args: SearchProductsArgs) -> dict[str, Any]:
    conn = ctx.conn
    category, err = resolve_category(conn, args.category)
    if err:
        return err
    device = None
    if args.compatible_with:
        device, err = resolve_device(conn, args.compatible_with)
        if err:
            return err
    # the catalog is static (read once, see .static): what matches, in the order the answer
    # lists it — full-speed fits first, then by price and id; stock is read from the world
    # (through .stock's cache, which forgets whatever it read as soon as the world changes)
    catalog = static_data(conn, Catalog)
    if device is not None:
        rows = catalog.fitting(device["id"], category)
    else:
        rows = [(p, None, None) for p in catalog.in_category(category)]
    if args.max_price is not None:
        rows = [r for r in rows if r[0]["price"] <= args.max_price]
    for feature in args.features:
        key = feature_key(feature)
        rows = [r for r in rows if key in catalog.features(r[0]["id"])]
    if args.in_stock_only:
        stock = total_stock(conn, [r[0]["id"] for r in rows])
        rows = [r for r in rows if stock[r[0]["id"]] > 0]
    else:
        stock = total_stock(conn, [r[0]["id"] for r in rows[: args.limit]])
    products = []
    for p, full, note in rows[: args.limit]:
        item: dict[str, Any] = {"id": p["id"], "name": p["name"], "short_name": p["short_name"], "brand": p["brand"],
                                "model": p["model"], "price": p["price"], "in_stock": stock[p["id"]] > 0}
        if device is not None:
            item["full_speed"] = bool(full)
            if note:
                item["note"] = note
        products.append(item)
    result: dict[str, Any] = {"category": category, "count": len(rows), "products": products}
    if device is not None:
        result["device"] = {"id": device["id"], "name": device["name"]}
        if not rows:
            reason = _why_none(category, device["specs"])
            if reason:
                result["reason"] = reason
    return result


def _why_none(category: str, specs: dict[str, Any]) -> str | None:
    if category == "memory" and specs.get("memory", {}).get("slots") == 0:
        return _WHY_NONE[("memory", "slots")]
    ssd = specs.get("ssd")
    if category == "ssd" and ssd is not None and ssd["m2_slots"] == 0 and not ssd["sata_bay"]:
        return _WHY_NONE[("ssd", "bays")]
    return None


SEARCH_PRODUCTS = Tool(
    name="search_products",
    description="按品类、兼容机型、规格特性和价格搜索商品,返回匹配的商品列表",
    args_model=SearchProductsArgs,
    func=_search,
)
