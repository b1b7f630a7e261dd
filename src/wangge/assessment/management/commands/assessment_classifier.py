"""wangge manage assessment_classifier dataset|train|evaluate|corrections

- dataset: (re)write the labelled set data/training.csv from the catalogue;
- train: train the model now (otherwise trained on first use);
- evaluate: accuracy on the held-out 20 % (and the keyword match alone);
- corrections --actor USER [--out F.csv] [--since ISO] [--append]:
  dispatchers' corrections in USER's areas as new training rows (text,
  code); with --append they are also added to data/training.csv (new rows
  only), and the next train/evaluate uses them."""

import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime


class Command(BaseCommand):
    help = "事项类别分类器：生成训练集、训练、评估、导出纠正数据"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["dataset", "train", "evaluate", "corrections"])
        parser.add_argument("--actor", default="")
        parser.add_argument("--out", default="")
        parser.add_argument("--since", default="")
        parser.add_argument("--append", action="store_true", help="追加到训练集 data/training.csv")

    def handle(self, *args, **opts):
        from wangge.assessment import classifier

        action = opts["action"]
        if action == "dataset":
            n = classifier.write_dataset()
            self.stdout.write(f"已写入 {n} 条训练样本：{classifier.DATA}")
        elif action == "train":
            classifier.model()
            self.stdout.write("模型已训练并保存")
        elif action == "evaluate":
            out = classifier.evaluate()
            out["keywords_only"] = keyword_accuracy()
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.corrections(opts)

    def corrections(self, opts):
        from wangge.accounts.models import User
        from wangge.assessment.selectors import corrections

        actor = User.objects.filter(username=opts["actor"], is_active=True).first()
        if actor is None:
            raise CommandError("请用 --actor 指定一个有效的工作人员账号")
        since = parse_datetime(opts["since"]) if opts["since"] else None
        rows = corrections(actor=actor, since=since)
        lines = [["text", "code"], *([r["text"], r["code"]] for r in rows)]
        if opts["out"]:
            with open(opts["out"], "w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(lines)
        else:
            csv.writer(sys.stdout).writerows(lines)
        self.stderr.write(f"导出 {len(rows)} 条纠正记录")
        if opts["append"]:
            from wangge.assessment.classifier import DATA, append_rows

            n = append_rows([(r["text"], r["code"]) for r in rows], path=DATA)
            self.stderr.write(f"新增 {n} 条训练样本：{DATA}（下次训练时使用）")


def keyword_accuracy() -> float:
    """The catalogue keyword match alone on the same held-out rows."""
    from wangge.assessment import classifier
    from wangge.cases.catalogue import MINORS

    _, test = classifier.split(classifier.load_dataset())
    cats = [(code, name, kw.split()) for code, name, *_r, kw in MINORS]
    hits = 0
    for text, code in test:
        best = None
        for c, name, kws in cats:
            s = (3 if name in text else 0) + sum(1 + len(k) / 10 for k in kws if k in text)
            if s and (best is None or s > best[0]):
                best = (s, c)
        hits += bool(best) and best[1] == code
    return round(hits / len(test), 4)
