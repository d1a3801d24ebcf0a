"""The recipe's loop, which benchmarks run beside twinchat: Faker (zh_CN) fills a precompiled Jinja2
template, one JSON line per sample (``python -c SCRIPT N OUT``)."""

SCRIPT = """
import json, sys
import jinja2
from faker import Faker
fake = Faker("zh_CN")
fake.seed_instance(0)
template = jinja2.Environment().from_string(
    "收件人:{{ name }},电话:{{ phone }},地址:{{ province }}{{ city }}{{ district }}{{ street }},邮编:{{ postcode }}")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for _ in range(int(sys.argv[1])):
        out.write(json.dumps({"text": template.render(
            name=fake.name(), phone=fake.phone_number(), province=fake.province(), city=fake.city(),
            district=fake.district(), street=fake.street_address(), postcode=fake.postcode())},
            ensure_ascii=False) + "\\n")
"""
