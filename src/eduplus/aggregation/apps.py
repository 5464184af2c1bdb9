from django.apps import AppConfig


class AggregationConfig(AppConfig):
    name = "eduplus.aggregation"
    label = "aggregation"
    verbose_name = "资源汇聚 Aggregation"
