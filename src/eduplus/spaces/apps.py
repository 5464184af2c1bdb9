from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "eduplus.spaces"
    label = "spaces"
    verbose_name = "学习空间 Learning spaces"

    def ready(self) -> None:
        from eduplus.resources.signals import resource_event
        from eduplus.spaces.receivers import record_resource_event

        resource_event.connect(record_resource_event, dispatch_uid="spaces.record_resource_event")
