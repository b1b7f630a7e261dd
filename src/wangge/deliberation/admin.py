from django.contrib import admin

from wangge.core.admin import ReadOnlyAdmin, ScopedAdmin

from .models import Comment, Estate, RatingCampaign, RatingTarget, Topic, TopicOption


@admin.register(Estate)
class EstateAdmin(ScopedAdmin):
    list_display = ["name", "community", "property_company"]
    raw_id_fields = ["community", "buildings"]


class TopicOptionInline(admin.TabularInline):
    model = TopicOption
    extra = 0


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    """Topics change only through their moves (受理、表决、公开决议、公开落实)."""

    list_display = ["title", "area", "status", "vote_unit", "vote_closes_at", "created_at"]
    list_filter = ["status", "vote_unit"]
    inlines = [TopicOptionInline]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["topic", "status", "created_at"]
    list_filter = ["status"]


class RatingTargetInline(admin.TabularInline):
    model = RatingTarget
    extra = 1


@admin.register(RatingCampaign)
class RatingCampaignAdmin(ScopedAdmin):
    list_display = ["title", "estate", "opens_at", "closes_at", "repeat_months", "published"]
    raw_id_fields = ["estate", "created_by"]
    inlines = [RatingTargetInline]
